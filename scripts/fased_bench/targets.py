"""Starting each target: the fake upstream, the reference forwarder, Fased (with every feature
on), and LiteLLM's proxy from its own cached virtualenv."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from fased_bench.procs import Server, free_port

SCRIPTS = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-0123456789abcdef"
LITELLM_KEY = "sk-bench-litellm-0123456789"
# 1.82.7 and 1.82.8 (and, per the package index, a later 1.107.0) were compromised releases;
# the pin is the last release before the first incident. FASED_BENCH_LITELLM overrides it.
LITELLM_SPEC = os.environ.get("FASED_BENCH_LITELLM", "litellm[proxy]==1.82.6")
PERSONA_FACTS = {
    "age": "34",
    "city": "Lisbon",
    "occupation": "marine biologist",
    "languages": "Portuguese, English, Spanish",
}
PRICES = {"input": 0.15, "output": 0.6, "cachedInput": 0.075}


def profile_addendum(tokens: int = 2000) -> str:
    """About `tokens` tokens (Fased counts four characters a token) of profile prose."""
    sentences = (
        "She answers plainly and prefers concrete examples to abstractions.",
        "When unsure she says so, then reasons aloud about what she would check first.",
        "She grew up by the sea and still measures distances in tides and harbours.",
        "Her humour is dry; she never uses exclamation marks in writing.",
        "She explains ocean chemistry to children at the aquarium on Saturdays.",
    )
    text, index = [], 0
    while sum(len(s) + 1 for s in text) < tokens * 4:
        text.append(f"{sentences[index % len(sentences)]} (note {index})")
        index += 1
    return " ".join(text)


def clean_env(**extra: str) -> dict[str, str]:
    prefixes = ("FASED_", "OPENAI", "ANTHROPIC", "LITELLM")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["PYTHONPATH"] = str(SCRIPTS)
    for name in ("FASED_BENCH_LOOP", "FASED_EVENT_LOOP"):  # see loops.py and --uvloop
        if name in os.environ:
            env[name] = os.environ[name]
    return {**env, **extra}


def start_upstream(logs: Path) -> Server:
    server = Server(
        "upstream",
        [sys.executable, "-m", "fased_bench.upstream"],
        logs,
        env=clean_env(),
        announces=True,
    )
    server.url = f"http://127.0.0.1:{server.read_port()}"
    return server


def start_forwarder(upstream: str, logs: Path) -> Server:
    command = [sys.executable, str(SCRIPTS / "forwarder.py"), "--upstream", upstream]
    server = Server("forwarder", command, logs, env=clean_env(), announces=True)
    server.url = f"http://127.0.0.1:{server.read_port()}"
    return server


def fased_config(upstream: str) -> dict[str, object]:
    """Every feature on: token auth (with the failure limiter), all three endpoints, usage
    recording (always on), conversion (a Responses-API model), a persona agent."""
    endpoint = {"enabled": True}
    return {
        "gateway": {
            "auth": {"mode": "token", "token": TOKEN},
            "http": {
                "endpoints": {
                    "chatCompletions": endpoint,
                    "messages": endpoint,
                    "responses": endpoint,
                }
            },
        },
        "providers": {"bench": {"kind": "openai", "baseUrl": f"{upstream}/v1", "apiKey": "sk-up"}},
        "models": {
            "default": "bench-chat",
            "catalog": [
                {"id": "bench-chat", "provider": "bench", "api": "chat", **PRICES},
                {"id": "bench-resp", "provider": "bench", "api": "responses", **PRICES},
            ],
        },
        "agents": {
            "defaultId": "bench",
            "list": [
                {
                    "id": "bench",
                    "name": "Marina",
                    "model": "bench-chat",
                    "basic_facts": PERSONA_FACTS,
                    "profile_addendum": profile_addendum(),
                }
            ],
        },
        "logging": {"level": "info", "format": "json"},
    }


async def start_fased(upstream: str, logs: Path, workers: int = 1) -> Server:
    name = "fased" if workers == 1 else f"fased-{workers}w"
    state = logs / f"state-{name}"
    state.mkdir(parents=True, exist_ok=True)
    (state / "fased.json5").write_text(json.dumps(fased_config(upstream), indent=1))
    port = free_port()
    command = [sys.executable, "-m", "fased", "gateway", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    env = clean_env(FASED_STATE_DIR=str(state))
    server = Server(name, command, logs, env=env)
    await _ready(server, f"http://127.0.0.1:{port}", "/health", 60)
    return server


async def _ready(server: Server, url: str, path: str, within: float) -> None:
    try:
        await server.wait_http(url, path, within)
    except BaseException:
        server.stop()
        raise


# --- LiteLLM ----------------------------------------------------------------------------------


def litellm_venv(cache: Path, logs: Path) -> Path:
    """LiteLLM's proxy in its own virtualenv under `cache`, installed once (the marker file
    records the spec installed, so a changed pin reinstalls)."""
    venv = cache / "litellm-venv"
    marker = venv / ".fased-bench-installed"
    if marker.exists() and marker.read_text() == LITELLM_SPEC:
        return venv
    log = logs / "litellm-install.log"
    print(f"installing {LITELLM_SPEC} into {venv} (once; a few minutes; {log})", flush=True)
    with log.open("w") as out:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", LITELLM_SPEC]
        done = subprocess.run(pip, stdout=out, stderr=subprocess.STDOUT, timeout=1200, check=False)
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise RuntimeError(f"cannot install {LITELLM_SPEC} (pip exit {done.returncode}):\n{tail}")
    marker.write_text(LITELLM_SPEC)
    return venv


def litellm_config(upstream: str) -> str:
    """LiteLLM's YAML (JSON is YAML): the same fake upstream, a master key, no database."""
    model = {
        "model_name": "bench-chat",
        "litellm_params": {
            "model": "openai/bench-chat",
            "api_base": f"{upstream}/v1",
            "api_key": "sk-up",
        },
    }
    return json.dumps(
        {
            "model_list": [model],
            "general_settings": {"master_key": LITELLM_KEY},
            "litellm_settings": {"telemetry": False, "drop_params": True},
        }
    )


async def start_litellm(upstream: str, logs: Path, cache: Path) -> Server:
    venv = await asyncio.to_thread(litellm_venv, cache, logs)  # installed: returns at once
    config = logs / "litellm.yaml"
    config.write_text(litellm_config(upstream))
    port = free_port()
    command = [str(venv / "bin" / "litellm"), "--config", str(config)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]
    env = clean_env(LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_LOG="ERROR")
    env.pop("PYTHONPATH", None)
    server = Server("litellm", command, logs, env=env)
    await _ready(server, f"http://127.0.0.1:{port}", "/health/liveliness", 180)
    return server

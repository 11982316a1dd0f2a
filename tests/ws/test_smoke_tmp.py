from tests.ws.conftest import AppFactory, connect


async def test_smoke(channel_app: AppFactory) -> None:
    client = await channel_app()
    peer = await connect(client)
    print(peer.hello)
    print(await peer.ok("health"))
    print(await peer.ok("status"))
    res = await peer.call("agent", {"message": "hi there", "idempotencyKey": "k1"})
    print(res)
    print(await peer.response(res["id"]))
    print(peer.events)
    await peer.ws.close()

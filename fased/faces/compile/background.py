"""A built-in background of everyday English, the "document frequency" keywords are judged by.

`STOPWORDS` are function words: they delimit candidate phrases and never start a topic.
`COMMON_WORDS` adds the few hundred content words everyone uses whatever they know about
(people, time, really, good…): a phrase made only of them is not a knowledge domain.
"""

from __future__ import annotations

from fased.faces.compile.lexicon import words

STOPWORDS = words(
    """
    a about above after again against all almost along already also although always am among
    an and another any anybody anyone anything are aren't around as at be because been before
    being below between both but by can can't cannot could couldn't did didn't do does doesn't
    doing don't down during each either else enough even ever every everybody everyone
    everything few for from further had hadn't has hasn't have haven't having he he'd he'll
    he's her here here's hers herself him himself his how how's however i i'd i'll i'm i've if
    in into is isn't it it's its itself just least less let's many may me might mine more most
    much must mustn't my myself neither never no nobody none nor not nothing now of off often
    on once one only onto or other others ought our ours ourselves out over own per perhaps
    quite rather really same shall she she'd she'll she's should shouldn't since so some
    somebody someone something sometimes somewhat still such than that that's the their theirs
    them themselves then there there's these they they'd they'll they're they've this those
    though through throughout thus to too toward towards under until up upon us very via was
    wasn't we we'd we'll we're we've were weren't what what's whatever when when's whenever
    where where's whereas wherever whether which while who who's whoever whole whom whose why
    why's will with within without won't would wouldn't yet you you'd you'll you're you've your
    yours yourself yourselves im ive dont cant wont didnt doesnt isnt thats youre
    """
)

_EVERYDAY = """
    able absolutely accept across act actually add afternoon afraid age ago agree ahead air
    alone amazing anyway apart appear area arm ask asked asking away awesome back bad bag ball
    bank bed begin beginning believe best better big bit black blue body book books born boss
    bought box boy break bring brother brought build built busy buy call called calling came
    car care case cause certain certainly chance change changed chat check child children city
    class clear clearly close coffee cold come comes coming common company complete completely
    consider continue cool cost couple course crazy cut dad dark date day days dead deal dear
    decide decided deep definitely different difficult dinner door doubt dream drink drive
    early easy eat eating end enjoy entire especially evening event exactly example except
    expect experience explain eye eyes face fact fair fall family far fast father favorite
    favourite feel feeling feels felt fine finish finished first five follow food forget forward
    found four free friday friend friends front full fun funny game gave get gets getting girl
    give given giving glad go god goes going gone gonna good got great group grow guess guy guys
    had half hand hands happen happened happy hard hate head hear heard help high hit hold home
    honestly hope hot hour hours house huge idea important interesting job keep kept kid kids
    kind kinda knew know known last late later laugh learn learned leave left lets life like
    liked line list little live lived lives living long look looked looking lose lost lot lots
    love loved lovely low lunch made main make makes making man matter maybe mean means meet
    met mind minute minutes miss moment monday money month months morning mother move moved
    mum music myself name need needed needs new news next nice night nine nobody normal note
    number ok okay old open order part party pass past pay people person pick picture place
    plan play please point possible pretty probably problem problems put question quick
    quickly read ready real reason remember rest right room run said sat saturday saw say
    saying says school second see seem seems seen send sense set seven several short show side
    simple sister sit six sleep small son soon sorry sort sound sounds speak start started stay
    step steps piece pieces detail details whole
    stop story stuff sunday super sure take taken takes taking talk talked talking tell ten
    terrible thank thanks thing things think thinking third thought three thursday time times
    tired today together told tomorrow tonight took top totally tried true try trying tuesday
    turn turned two understand use used usually wait walk want wanted wants watch water way
    ways wednesday week weekend weeks well went white whole wife win wish woman women wonder
    wonderful word words work worked working works world worry worse worst wow write wrong
    yeah year years yes yesterday young team teams member members parent parents husband baby
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday spring summer autumn winter
    """

COMMON_WORDS = STOPWORDS | words(_EVERYDAY)

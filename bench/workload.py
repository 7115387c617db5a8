# workload.py: a whole-program allocator workload for run.sh.  Builds and
# throws away dicts, lists and strings, round-trips them through json, and
# sorts and groups them: the mix an ordinary Python service does.  The
# interpreter's own small-object allocator (pymalloc) serves most small
# objects; run.sh also runs this with PYTHONMALLOC=malloc so every object
# goes through the allocator under test.
#
# usage: python3 workload.py [SCALE%]   (deterministic with PYTHONHASHSEED=0)
import json
import random
import sys

scale = int(sys.argv[1]) if len(sys.argv) > 1 else 100
rounds = max(1, 5 * scale // 100)
rng = random.Random(2024)
WORDS = ["alpha", "beta", "gamma", "delta", "slab", "cache", "magazine",
         "vmem", "arena", "depot", "bufctl", "redzone", "audit", "quantum"]


def record(i):
    return {
        "id": i,
        "name": "%s-%d" % (rng.choice(WORDS), i),
        "tags": [rng.choice(WORDS) for _ in range(rng.randint(0, 6))],
        "score": rng.random() * 100,
        "attrs": {w: rng.randint(0, 1000) for w in rng.sample(WORDS, 3)},
    }


def one_round(n):
    recs = [record(i) for i in range(n)]
    text = json.dumps(recs)
    back = json.loads(text)
    by_tag = {}
    for r in back:
        for t in r["tags"]:
            by_tag.setdefault(t, []).append(r["id"])
    names = sorted((r["name"] for r in back), key=lambda s: s[::-1])
    blob = "".join(n.upper() + ";" for n in names[:5000])
    return len(text) + sum(len(v) for v in by_tag.values()) + len(blob)


total = 0
for _ in range(rounds):
    total += one_round(20000)
print("python: rounds=%d total=%d" % (rounds, total))

# A python3 workload for tests/programs/python.sh: dicts, a json round trip,
# regular expressions, sorting 100k items, a class hierarchy.  Prints a few
# results and a hash of everything, which must not depend on the allocator.
import hashlib
import json
import random
import re
import sys

rng = random.Random(20240601)
h = hashlib.sha256()


def out(label, value):
    text = "%s: %s" % (label, value)
    h.update(text.encode())
    print(text)


# Dicts and sets.
words = ["".join(rng.choice("abcdefghijklmnop") for _ in range(rng.randint(2, 9)))
         for _ in range(50000)]
counts = {}
for w in words:
    counts[w] = counts.get(w, 0) + 1
out("distinct words", len(counts))
out("top words", sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5])
out("letters", sorted(set("".join(words[:1000]))))

# JSON round trip of a nested structure.
doc = {"k%d" % i: {"list": [rng.random() for _ in range(10)],
                   "name": words[i], "n": i, "nested": {"a": [i, str(i)] * 3}}
       for i in range(5000)}
text = json.dumps(doc, sort_keys=True)
back = json.loads(text)
out("json equal", back == doc)
out("json length", len(text))
out("json hash", hashlib.md5(text.encode()).hexdigest())

# Regular expressions.
blob = " ".join(words[:20000])
pat = re.compile(r"\b([a-d]+)([e-h]*)\b")
found = pat.findall(blob)
out("regex matches", len(found))
out("regex sample", found[:5])
out("regex sub", hashlib.md5(re.sub(r"[aeiou]+", lambda m: str(len(m.group(0))), blob).encode()).hexdigest())

# Sorting 100k items, several keys.
items = [(rng.randint(0, 1000), rng.random(), words[i % len(words)]) for i in range(100000)]
items.sort()
out("sorted first", items[0])
out("sorted last", items[-1])
by_word = sorted(items, key=lambda t: (t[2], -t[0]))
out("by word", by_word[12345])
out("sum", sum(t[0] for t in items))


# A class hierarchy.
class Shape:
    def __init__(self, name):
        self.name = name

    def area(self):
        raise NotImplementedError

    def describe(self):
        return "%s(%.3f)" % (self.name, self.area())


class Rect(Shape):
    def __init__(self, w, h):
        super().__init__("rect")
        self.w, self.h = w, h

    def area(self):
        return self.w * self.h


class Square(Rect):
    def __init__(self, s):
        super().__init__(s, s)
        self.name = "square"


class Circle(Shape):
    def __init__(self, r):
        super().__init__("circle")
        self.r = r

    def area(self):
        return 3.141592653589793 * self.r * self.r


shapes = []
for i in range(30000):
    k = i % 3
    shapes.append(Rect(i % 17, i % 13) if k == 0 else Square(i % 11) if k == 1 else Circle((i % 7) / 2))
total = sum(s.area() for s in shapes)
out("shapes area", "%.6f" % total)
out("shapes described", hashlib.md5("|".join(s.describe() for s in shapes).encode()).hexdigest())
out("by kind", sorted((k, sum(1 for s in shapes if s.name == k)) for k in ("rect", "square", "circle")))

# Big strings and lists that grow and shrink.
acc = []
for i in range(200000):
    acc.append(str(i) * (i % 5))
    if i % 3 == 0:
        acc.pop(len(acc) // 2)
out("acc", (len(acc), hashlib.md5("".join(acc).encode()).hexdigest()))

# Threads: allocation from several threads at once (the GIL still lets
# the allocator see interleaved calls from different threads).
from concurrent.futures import ThreadPoolExecutor


def work(n):
    r = random.Random(n)
    d = {}
    for i in range(20000):
        k = "%x" % r.getrandbits(20)
        d.setdefault(k, []).append(i)
    return n, len(d), sum(len(v) for v in d.values()), max(d)


with ThreadPoolExecutor(max_workers=8) as ex:
    results = list(ex.map(work, range(16)))
out("threads", hashlib.md5(repr(results).encode()).hexdigest())

print("digest", h.hexdigest())
sys.exit(0)

# A small allocation-heavy workload for the demo: dicts, strings, lists, JSON.
import json, hashlib
d = {("key%d" % i): [i, str(i) * 3, {"n": i}] for i in range(200000)}
s = json.dumps(d)
e = json.loads(s)
words = sorted(set(s[i:i + 7] for i in range(0, 400000, 3)))
print("entries:", len(e), "json bytes:", len(s), "distinct 7-grams:", len(words))
print("digest:", hashlib.sha256(s.encode()).hexdigest()[:16])

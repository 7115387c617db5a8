# sqlite_gen.awk: writes the SQL script of the sqlite3 benchmark to stdout.
# Rows come from a fixed linear congruential sequence, so every run and
# every allocator replays the same statements.  Each row is its own INSERT
# statement: parsing and preparing 200k statements is where the sqlite3
# shell spends most of its allocations.
#
# usage: awk -v rows=200000 -f sqlite_gen.awk > script.sql
BEGIN {
	if (rows == "")
		rows = 200000
	split("alpha beta gamma delta slab cache magazine vmem arena depot", w, " ")
	print "PRAGMA journal_mode=OFF;"	# time the allocator, not the disk
	print "PRAGMA synchronous=OFF;"
	print "CREATE TABLE item(id INTEGER PRIMARY KEY, grp INTEGER,"
	print "    name TEXT, qty INTEGER, price REAL, note TEXT);"
	print "BEGIN;"
	x = 12345
	for (i = 1; i <= rows; i++) {
		x = (x * 69069 + 1) % 4294967296	# exact in a double
		grp = x % 997
		qty = int(x / 997) % 500
		name = w[x % 10 + 1] "-" (x % 100003)
		note = substr("lorem ipsum dolor sit amet consectetur adipiscing elit", 1, 10 + x % 40)
		printf "INSERT INTO item VALUES(%d,%d,'%s',%d,%.2f,'%s');\n", i, grp, name, qty, (x % 100000) / 100, note
	}
	print "COMMIT;"
	print "CREATE INDEX item_grp ON item(grp, price);"
	print "CREATE INDEX item_name ON item(name);"
	print "SELECT count(*), sum(n), max(total) FROM (SELECT grp, count(*) AS n, sum(qty * price) AS total FROM item GROUP BY grp);"
	print "SELECT count(DISTINCT name), sum(length(note)) FROM item WHERE price > 500;"
	print "SELECT name, count(*) FROM item GROUP BY name ORDER BY 2 DESC, 1 LIMIT 3;"
}

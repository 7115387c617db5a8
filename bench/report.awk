# report.awk: turns run.sh's raw measurements into the markdown tables.
# POSIX awk only (Debian's default is mawk: no asort, no gensub).
#
# Input rows, tab-separated:
#   run  CONFIG BENCH REP WALL_S CPU_S MAXRSS_KB STATUS OPS_PER_S OUTSUM
#   cg   CONFIG BENCH IR STATUS
# Variables: configs, benches, cgbenches (space-separated, in table order),
#   base (the configuration every ratio is relative to), scale1, scale2
#   (the benchmarks whose ops/s give the scaling figure).
BEGIN {
	FS = "\t"
	nc = split(configs, C, " ")
	nb = split(benches, B, " ")
	ng = split(cgbenches, G, " ")
}

$1 == "run" {
	k = $2 SUBSEP $3
	i = ++n[k]
	v["wall", k, i] = $5; v["cpu", k, i] = $6; v["rss", k, i] = $7 / 1024
	v["ops", k, i] = $9
	if ($8 != "ok" && !(k in bad))
		bad[k] = $8
	if (!((k, $10) in seensum)) {
		seensum[k, $10] = 1
		nsum[k]++
		sum[k] = $10
	}
}

$1 == "cg" {
	k = $2 SUBSEP $3
	if ($5 == "ok")
		ir[k] = $4
	else
		cgbad[k] = $5
}

# Median of v[m, k, 1..n[k]]; insertion sort, n is small.
function median(m, k,    i, j, t, a, cnt) {
	cnt = n[k]
	if (cnt == 0 || v[m, k, 1] == "-")
		return ""
	for (i = 1; i <= cnt; i++) {
		t = v[m, k, i] + 0
		for (j = i - 1; j >= 1 && a[j] > t; j--)
			a[j + 1] = a[j]
		a[j + 1] = t
	}
	return (cnt % 2) ? a[(cnt + 1) / 2] : (a[cnt / 2] + a[cnt / 2 + 1]) / 2
}

# Why a cell has no number, or "" if it has one.
function trouble(c, b,    k) {
	k = c SUBSEP b
	if (!(k in n))
		return "—"
	if (k in bad)
		return "FAIL(" bad[k] ")"
	if (nsum[k] > 1 || (c != base && (base SUBSEP b) in sum && \
	    sum[k] != sum[base SUBSEP b]))
		return "WRONG-OUTPUT"
	return ""
}

function metric_table(m, title, unit, fmt,    i, j, c, b, x, y, t, lg, cnt) {
	printf "\n### %s (ratio to %s; lower is better)\n\n", title, base
	printf "| benchmark | %s (%s) |", base, unit
	for (j = 2; j <= nc; j++)
		printf " %s |", C[j]
	printf "\n|---|---:|"
	for (j = 2; j <= nc; j++)
		printf "---:|"
	printf "\n"
	for (j = 1; j <= nc; j++) { lg[j] = 0; cnt[j] = 0 }
	for (i = 1; i <= nb; i++) {
		b = B[i]
		t = trouble(base, b)
		y = (t == "") ? median(m, base SUBSEP b) : ""
		printf "| %s | %s |", b, (t == "") ? sprintf(fmt, y) : t
		for (j = 2; j <= nc; j++) {
			c = C[j]
			t = trouble(c, b)
			if (t == "" && y > 0) {
				x = median(m, c SUBSEP b) / y
				lg[j] += log(x); cnt[j]++
				printf " %.2f |", x
			} else
				printf " %s |", (t == "") ? "n/a" : t
		}
		printf "\n"
	}
	geomean_row(lg, cnt, nb)
}

function geomean_row(lg, cnt, want,    j, s) {
	printf "| **geomean** | 1.00 |"
	s = 0
	for (j = 2; j <= nc; j++) {
		if (C[j] == "slabtrace")
			s = j
		if (cnt[j] == 0)
			printf " n/a |"
		else
			printf " **%.2f**%s |", exp(lg[j] / cnt[j]), \
			    (cnt[j] < want) ? "*" : ""
	}
	printf "\n"
	if (s == 0 || cnt[s] == 0)
		return
	# The debugging configurations (slabtrace-*) against slabtrace.
	printf "| **geomean, ratio to slabtrace** | |"
	for (j = 2; j <= nc; j++) {
		if (C[j] ~ /^slabtrace-/ && cnt[j] > 0)
			printf " %.2f |", exp(lg[j] / cnt[j] - lg[s] / cnt[s])
		else
			printf " |"
	}
	printf "\n"
}

function scaling_table(    j, c, t1, t2, a, b2) {
	if (!((C[1] SUBSEP scale1) in n) || !((C[1] SUBSEP scale2) in n))
		return
	printf "\n### Larson scaling (median ops/s; %s over %s, 2.0 is " \
	    "perfect on 2 cores)\n\n", scale2, scale1
	printf "| allocator | %s ops/s | %s ops/s | scaling |\n", scale1, scale2
	printf "|---|---:|---:|---:|\n"
	for (j = 1; j <= nc; j++) {
		c = C[j]
		t1 = trouble(c, scale1); t2 = trouble(c, scale2)
		a = (t1 == "") ? median("ops", c SUBSEP scale1) : ""
		b2 = (t2 == "") ? median("ops", c SUBSEP scale2) : ""
		printf "| %s | %s | %s | %s |\n", c,
		    (t1 == "") ? sprintf("%.0f", a) : t1,
		    (t2 == "") ? sprintf("%.0f", b2) : t2,
		    (t1 == "" && t2 == "" && a > 0) ? \
		    sprintf("**%.2f**", b2 / a) : "n/a"
	}
}

function callgrind_table(    i, j, b, c, k, y, lg, cnt, any) {
	for (k in ir)
		any = 1
	for (k in cgbad)
		any = 1
	if (!any)
		return
	printf "\n### Instructions executed, callgrind (ratio to %s; lower " \
	    "is better)\n\n", base
	printf "| benchmark | %s (M instr.) |", base
	for (j = 2; j <= nc; j++)
		printf " %s |", C[j]
	printf "\n|---|---:|"
	for (j = 2; j <= nc; j++)
		printf "---:|"
	printf "\n"
	for (j = 1; j <= nc; j++) { lg[j] = 0; cnt[j] = 0 }
	for (i = 1; i <= ng; i++) {
		b = G[i]
		k = base SUBSEP b
		y = (k in ir) ? ir[k] : ""
		printf "| %s | %s |", b, (y != "") ? sprintf("%.1f", y / 1e6) : \
		    ((k in cgbad) ? "FAIL(" cgbad[k] ")" : "—")
		for (j = 2; j <= nc; j++) {
			k = C[j] SUBSEP b
			if ((k in ir) && y > 0) {
				lg[j] += log(ir[k] / y); cnt[j]++
				printf " %.2f |", ir[k] / y
			} else
				printf " %s |", (k in cgbad) ? \
				    "FAIL(" cgbad[k] ")" : "n/a"
		}
		printf "\n"
	}
	geomean_row(lg, cnt, ng)
}

END {
	metric_table("wall", "Wall time", "s", "%.3f")
	metric_table("cpu", "CPU time, user+sys", "s", "%.3f")
	metric_table("rss", "Peak RSS", "MiB", "%.1f")
	scaling_table()
	callgrind_table()
	printf "\n%s column: absolute median; other columns: median / %s " \
	    "median. * = geomean over fewer benchmarks (some failed).\n", \
	    base, base
}

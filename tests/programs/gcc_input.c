/*
 * gcc_input.c: a self-contained program for tests/programs/gcc.sh to
 * compile with and without slabtrace preloaded (the object files must be
 * identical) and then run (the output must be identical).  It has a bit of
 * everything a compiler has to chew on: structs and unions, recursion,
 * function pointers, switch tables, floating point, variadic functions.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a tiny expression language: tokens, parser, evaluator ---- */

enum tok_kind { T_NUM, T_IDENT, T_OP, T_LPAREN, T_RPAREN, T_END };

struct token {
	enum tok_kind tk_kind;
	long tk_num;
	char tk_text[16];
};

struct lexer {
	const char *lx_src;
	size_t lx_pos;
	struct token lx_cur;
};

enum node_kind { N_NUM, N_VAR, N_BINOP, N_NEG, N_CALL };

struct node {
	enum node_kind n_kind;
	union {
		long n_num;
		char n_name[16];
		struct {
			char b_op;
			struct node *b_left, *b_right;
		} n_bin;
		struct {
			char c_fn[16];
			struct node *c_arg;
		} n_call;
	} n_u;
};

static void
lex_next(struct lexer *lx)
{
	const char *s = lx->lx_src;
	struct token *t = &lx->lx_cur;
	size_t n = 0;

	while (s[lx->lx_pos] == ' ')
		lx->lx_pos++;
	memset(t, 0, sizeof (*t));
	if (s[lx->lx_pos] == '\0') {
		t->tk_kind = T_END;
	} else if (s[lx->lx_pos] >= '0' && s[lx->lx_pos] <= '9') {
		t->tk_kind = T_NUM;
		while (s[lx->lx_pos] >= '0' && s[lx->lx_pos] <= '9')
			t->tk_num = t->tk_num * 10 + (s[lx->lx_pos++] - '0');
	} else if ((s[lx->lx_pos] >= 'a' && s[lx->lx_pos] <= 'z')) {
		t->tk_kind = T_IDENT;
		while (s[lx->lx_pos] >= 'a' && s[lx->lx_pos] <= 'z' && n < 15)
			t->tk_text[n++] = s[lx->lx_pos++];
	} else if (s[lx->lx_pos] == '(') {
		t->tk_kind = T_LPAREN;
		lx->lx_pos++;
	} else if (s[lx->lx_pos] == ')') {
		t->tk_kind = T_RPAREN;
		lx->lx_pos++;
	} else {
		t->tk_kind = T_OP;
		t->tk_text[0] = s[lx->lx_pos++];
	}
}

static struct node *
node_new(enum node_kind k)
{
	struct node *n = calloc(1, sizeof (*n));

	if (n == NULL)
		abort();
	n->n_kind = k;
	return (n);
}

static struct node *parse_expr(struct lexer *);

static struct node *
parse_primary(struct lexer *lx)
{
	struct node *n;

	switch (lx->lx_cur.tk_kind) {
	case T_NUM:
		n = node_new(N_NUM);
		n->n_u.n_num = lx->lx_cur.tk_num;
		lex_next(lx);
		return (n);
	case T_IDENT: {
		char name[16];

		memcpy(name, lx->lx_cur.tk_text, sizeof (name));
		lex_next(lx);
		if (lx->lx_cur.tk_kind == T_LPAREN) {
			lex_next(lx);
			n = node_new(N_CALL);
			memcpy(n->n_u.n_call.c_fn, name, sizeof (name));
			n->n_u.n_call.c_arg = parse_expr(lx);
			lex_next(lx);	/* ')' */
			return (n);
		}
		n = node_new(N_VAR);
		memcpy(n->n_u.n_name, name, sizeof (name));
		return (n);
	}
	case T_LPAREN:
		lex_next(lx);
		n = parse_expr(lx);
		lex_next(lx);	/* ')' */
		return (n);
	case T_OP:
		if (lx->lx_cur.tk_text[0] == '-') {
			lex_next(lx);
			n = node_new(N_NEG);
			n->n_u.n_bin.b_left = parse_primary(lx);
			return (n);
		}
		/* FALLTHROUGH */
	default:
		return (node_new(N_NUM));
	}
}

static int
prec(char op)
{
	switch (op) {
	case '+': case '-': return (1);
	case '*': case '/': case '%': return (2);
	case '^': return (3);
	default: return (0);
	}
}

static struct node *
parse_binary(struct lexer *lx, int min_prec)
{
	struct node *left = parse_primary(lx);

	while (lx->lx_cur.tk_kind == T_OP &&
	    prec(lx->lx_cur.tk_text[0]) >= min_prec) {
		char op = lx->lx_cur.tk_text[0];
		int p = prec(op);
		struct node *n = node_new(N_BINOP);

		lex_next(lx);
		n->n_u.n_bin.b_op = op;
		n->n_u.n_bin.b_left = left;
		n->n_u.n_bin.b_right = parse_binary(lx, op == '^' ? p : p + 1);
		left = n;
	}
	return (left);
}

static struct node *
parse_expr(struct lexer *lx)
{
	return (parse_binary(lx, 1));
}

static long fn_sq(long x) { return (x * x); }
static long fn_abs(long x) { return (x < 0 ? -x : x); }
static long fn_fact(long x) { return (x <= 1 ? 1 : x * fn_fact(x - 1)); }
static long fn_fib(long x) { return (x < 2 ? x : fn_fib(x - 1) + fn_fib(x - 2)); }

static const struct {
	const char *f_name;
	long (*f_fn)(long);
} functions[] = {
	{ "sq", fn_sq }, { "abs", fn_abs }, { "fact", fn_fact },
	{ "fib", fn_fib },
};

static long
var_value(const char *name)
{
	long v = 0;

	while (*name != '\0')
		v = v * 31 + *name++ - 'a' + 1;
	return (v % 1000);
}

static long
ipow(long b, long e)
{
	long r = 1;

	while (e-- > 0)
		r *= b;
	return (r);
}

static long
eval(const struct node *n)
{
	size_t i;
	long l, r;

	switch (n->n_kind) {
	case N_NUM:
		return (n->n_u.n_num);
	case N_VAR:
		return (var_value(n->n_u.n_name));
	case N_NEG:
		return (-eval(n->n_u.n_bin.b_left));
	case N_CALL:
		for (i = 0; i < sizeof (functions) / sizeof (functions[0]); i++)
			if (strcmp(functions[i].f_name, n->n_u.n_call.c_fn) == 0)
				return (functions[i].f_fn(
				    eval(n->n_u.n_call.c_arg)));
		return (0);
	case N_BINOP:
		l = eval(n->n_u.n_bin.b_left);
		r = eval(n->n_u.n_bin.b_right);
		switch (n->n_u.n_bin.b_op) {
		case '+': return (l + r);
		case '-': return (l - r);
		case '*': return (l * r);
		case '/': return (r == 0 ? 0 : l / r);
		case '%': return (r == 0 ? 0 : l % r);
		case '^': return (ipow(l, r % 16));
		}
	}
	return (0);
}

static void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	if (n->n_kind == N_BINOP || n->n_kind == N_NEG) {
		node_free(n->n_u.n_bin.b_left);
		if (n->n_kind == N_BINOP)
			node_free(n->n_u.n_bin.b_right);
	} else if (n->n_kind == N_CALL) {
		node_free(n->n_u.n_call.c_arg);
	}
	free(n);
}

/* ---- a chained hash table of words ---- */

struct entry {
	struct entry *e_next;
	char *e_word;
	unsigned e_count;
};

struct table {
	struct entry **t_buckets;
	size_t t_nbuckets;
	size_t t_size;
};

static uint32_t
hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return (h);
}

static void
table_grow(struct table *t)
{
	size_t nb = t->t_nbuckets == 0 ? 16 : t->t_nbuckets * 2, i;
	struct entry **b = calloc(nb, sizeof (*b));

	if (b == NULL)
		abort();
	for (i = 0; i < t->t_nbuckets; i++) {
		struct entry *e = t->t_buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->e_next;
			e->e_next = b[hash_str(e->e_word) & (nb - 1)];
			b[hash_str(e->e_word) & (nb - 1)] = e;
		}
	}
	free(t->t_buckets);
	t->t_buckets = b;
	t->t_nbuckets = nb;
}

static void
table_add(struct table *t, const char *w)
{
	struct entry *e;
	size_t i;

	if (t->t_size >= t->t_nbuckets * 3 / 4)
		table_grow(t);
	i = hash_str(w) & (t->t_nbuckets - 1);
	for (e = t->t_buckets[i]; e != NULL; e = e->e_next) {
		if (strcmp(e->e_word, w) == 0) {
			e->e_count++;
			return;
		}
	}
	e = malloc(sizeof (*e));
	if (e == NULL || (e->e_word = strdup(w)) == NULL)
		abort();
	e->e_count = 1;
	e->e_next = t->t_buckets[i];
	t->t_buckets[i] = e;
	t->t_size++;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a;
	const struct entry *y = *(struct entry *const *)b;

	if (x->e_count != y->e_count)
		return (x->e_count > y->e_count ? -1 : 1);
	return (strcmp(x->e_word, y->e_word));
}

/* ---- a binary search tree with deletion ---- */

struct tnode {
	struct tnode *tn_left, *tn_right;
	int tn_key;
};

static struct tnode *
tree_insert(struct tnode *t, int key)
{
	if (t == NULL) {
		t = calloc(1, sizeof (*t));
		if (t == NULL)
			abort();
		t->tn_key = key;
	} else if (key < t->tn_key) {
		t->tn_left = tree_insert(t->tn_left, key);
	} else if (key > t->tn_key) {
		t->tn_right = tree_insert(t->tn_right, key);
	}
	return (t);
}

static struct tnode *
tree_delete(struct tnode *t, int key)
{
	struct tnode *m;

	if (t == NULL)
		return (NULL);
	if (key < t->tn_key) {
		t->tn_left = tree_delete(t->tn_left, key);
	} else if (key > t->tn_key) {
		t->tn_right = tree_delete(t->tn_right, key);
	} else if (t->tn_left == NULL || t->tn_right == NULL) {
		m = t->tn_left != NULL ? t->tn_left : t->tn_right;
		free(t);
		return (m);
	} else {
		for (m = t->tn_right; m->tn_left != NULL; m = m->tn_left)
			;
		t->tn_key = m->tn_key;
		t->tn_right = tree_delete(t->tn_right, m->tn_key);
	}
	return (t);
}

static int
tree_height(const struct tnode *t)
{
	int l, r;

	if (t == NULL)
		return (0);
	l = tree_height(t->tn_left);
	r = tree_height(t->tn_right);
	return (1 + (l > r ? l : r));
}

static long
tree_walk(const struct tnode *t, long (*visit)(long, int), long acc)
{
	if (t == NULL)
		return (acc);
	acc = tree_walk(t->tn_left, visit, acc);
	acc = visit(acc, t->tn_key);
	return (tree_walk(t->tn_right, visit, acc));
}

static long visit_sum(long acc, int k) { return (acc + k); }
static long visit_hash(long acc, int k) { return ((acc * 131 + k) % 1000000007); }

static void
tree_free(struct tnode *t)
{
	if (t != NULL) {
		tree_free(t->tn_left);
		tree_free(t->tn_right);
		free(t);
	}
}

/* ---- recursion: n-queens and a matrix ---- */

static int
queens(int n, int row, unsigned cols, unsigned d1, unsigned d2)
{
	int c, count = 0;

	if (row == n)
		return (1);
	for (c = 0; c < n; c++) {
		if ((cols >> c & 1) || (d1 >> (row + c) & 1) ||
		    (d2 >> (row - c + n) & 1))
			continue;
		count += queens(n, row + 1, cols | 1u << c,
		    d1 | 1u << (row + c), d2 | 1u << (row - c + n));
	}
	return (count);
}

static void
matmul(int n, const double *a, const double *b, double *c)
{
	int i, j, k;

	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++) {
			double s = 0;

			for (k = 0; k < n; k++)
				s += a[i * n + k] * b[k * n + j];
			c[i * n + j] = s;
		}
}

/* ---- a variadic report function ---- */

static unsigned long report_sum;

static void
report(const char *label, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	(void) vsnprintf(buf, sizeof (buf), fmt, ap);
	va_end(ap);
	for (i = 0; buf[i] != '\0'; i++)
		report_sum = report_sum * 33 + (unsigned char)buf[i];
	printf("%-10s %s\n", label, buf);
}

int
main(void)
{
	static const char *const exprs[] = {
		"1 + 2 * 3", "(1 + 2) * 3", "2 ^ 10 - fact(6)", "fib(20) % 97",
		"-sq(abc) + abs(-17) * (3 - 5)", "x * y * z / 7 + 2 ^ 3 ^ 2",
		"fact(10) / fib(15) - sq(sq(3))",
	};
	struct table t = { NULL, 0, 0 };
	struct entry **all;
	struct tnode *tree = NULL;
	double a[64 * 64], b[64 * 64], c[64 * 64], trace = 0;
	uint32_t seed = 1;
	char word[8];
	size_t i, j, n;

	for (i = 0; i < sizeof (exprs) / sizeof (exprs[0]); i++) {
		struct lexer lx = { exprs[i], 0, { T_END, 0, "" } };
		struct node *root;

		lex_next(&lx);
		root = parse_expr(&lx);
		report("expr", "%s = %ld", exprs[i], eval(root));
		node_free(root);
	}

	for (i = 0; i < 50000; i++) {
		seed = seed * 1664525u + 1013904223u;
		n = 1 + (seed >> 28) % 5;
		for (j = 0; j < n; j++)
			word[j] = (char)('a' + (seed >> (4 * j + 3)) % 6);
		word[n] = '\0';
		table_add(&t, word);
	}
	all = malloc(t.t_size * sizeof (*all));
	if (all == NULL)
		abort();
	for (i = 0, n = 0; i < t.t_nbuckets; i++) {
		struct entry *e;

		for (e = t.t_buckets[i]; e != NULL; e = e->e_next)
			all[n++] = e;
	}
	qsort(all, n, sizeof (*all), entry_cmp);
	report("words", "%zu distinct, top %s:%u %s:%u %s:%u", n,
	    all[0]->e_word, all[0]->e_count, all[1]->e_word, all[1]->e_count,
	    all[2]->e_word, all[2]->e_count);
	for (i = 0; i < n; i++) {
		free(all[i]->e_word);
		free(all[i]);
	}
	free(all);
	free(t.t_buckets);

	for (i = 0; i < 20000; i++) {
		seed = seed * 1664525u + 1013904223u;
		tree = tree_insert(tree, (int)(seed >> 12) % 100000);
	}
	report("tree", "height %d sum %ld hash %ld", tree_height(tree),
	    tree_walk(tree, visit_sum, 0), tree_walk(tree, visit_hash, 0));
	for (i = 0; i < 100000; i += 3)
		tree = tree_delete(tree, (int)i);
	report("tree", "after deletes: height %d sum %ld", tree_height(tree),
	    tree_walk(tree, visit_sum, 0));
	tree_free(tree);

	for (i = 4; i <= 10; i++)
		report("queens", "%zu: %d", i, queens((int)i, 0, 0, 0, 0));

	for (i = 0; i < 64 * 64; i++) {
		a[i] = (double)(i % 17) / 3.0;
		b[i] = (double)(i % 23) / 7.0 - 1.0;
	}
	matmul(64, a, b, c);
	for (i = 0; i < 64; i++)
		trace += c[i * 64 + i];
	report("matrix", "trace %.6f c[5][9] %.6f", trace, c[5 * 64 + 9]);

	printf("checksum %lu\n", report_sum);
	return (0);
}

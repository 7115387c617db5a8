/*
 * cmd.h: the subcommands of the slabtrace command that live in files of
 * their own, for slabtrace.c's table.
 *
 * Each is a function of the subcommand's own argc/argv (argv[0] is its
 * name) returning the exit status, as in slabtrace.c's commands[]; its
 * usage function prints what `slabtrace help NAME` shows after the
 * synopsis and the line of help.
 */
#ifndef	_SLABTRACE_CMD_H
#define	_SLABTRACE_CMD_H

#include <stdio.h>

/* symbolize.c */
extern int cmd_symbolize(int argc, char **argv);
extern void symbolize_usage(FILE *fp);

/* ../mdb/mdb.c: the debugger */
extern int cmd_mdb(int argc, char **argv);
extern void mdb_usage(FILE *fp);

#endif	/* _SLABTRACE_CMD_H */

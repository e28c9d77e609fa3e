/* commands: the subcommands of `ksim` that live in their own files. Each takes the
 * arguments after its name, handles its own --help, and returns an exit code:
 * 0 ok, 1 something failed (a check, a bad input line), 2 usage error, 4 I/O error. */
#ifndef KSIM_COMMANDS_H
#define KSIM_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

int cmd_assign(int argc, char **argv);
int cmd_compare_assignors(int argc, char **argv);
int cmd_view(int argc, char **argv);
/* The viewer on a trace already open (ksim run --tui): the same exit codes as `view`. */
int cmd_view_stream(FILE *f, const char *name, bool ascii, bool color);
int cmd_export(int argc, char **argv);

#endif

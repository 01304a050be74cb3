/* test_suggest.c - edit distance and suggestions used for "did you mean". */
#include <stddef.h>

#include "core/suggest.h"
#include "tap.h"

int main(void)
{
    is_int(sr_edit_distance("info", "info"), 0, "identical");
    is_int(sr_edit_distance("inof", "info"), 1, "transposition counts once");
    is_int(sr_edit_distance("", "abc"), 3, "insertions");
    is_int(sr_edit_distance("kitten", "sitting"), 3, "kitten/sitting");

    const char *cmds[] = {"check", "info", "list", "plot", "run", "table"};
    is_str(sr_suggest("inf", cmds, 6), "info", "deletion suggests info");
    is_str(sr_suggest("tabel", cmds, 6), "table", "transposition suggests table");
    is_str(sr_suggest("rn", cmds, 6), "run", "short word");
    ok(sr_suggest("frobnicate", cmds, 6) == NULL, "nothing close: no suggestion");
    const char *opts[] = {"--format", "--threads", "--help"};
    is_str(sr_suggest("--fromat", opts, 3), "--format", "option typo");
    is_str(sr_suggest("--form", opts, 3), "--format", "option prefix");
    is_int(sr_name_index("--help", opts, 3), 2, "name index: the matching entry");
    is_int(sr_name_index("--form", opts, 3), -1, "name index: a prefix is not a name");
    is_int(sr_name_index(NULL, opts, 3), -1, "name index: NULL is no name");
    is_int(sr_name_index("--help", opts, 2), -1, "name index: only the first n names");
    return done_testing();
}

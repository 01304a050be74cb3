/* suggest.c - edit distance and "did you mean" (see suggest.h). */
#include "core/suggest.h"

#include <string.h>

int sr_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return (int)(la > lb ? la : lb);
    int d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

const char *sr_suggest(const char *word, const char *const *cands, int n)
{
    const char *best = NULL;
    int best_d = 1 << 30;
    for (int i = 0; i < n; i++) {
        int d = sr_edit_distance(word, cands[i]);
        if (d < best_d) {
            best_d = d;
            best = cands[i];
        }
    }
    // Close enough: a third of the word's length, at least one edit. A prefix
    // of a candidate ("--form" for "--format") is also a good guess.
    int limit = (int)strlen(word) / 3;
    if (limit < 1)
        limit = 1;
    if (best && best_d <= limit)
        return best;
    if (strlen(word) >= 3)
        for (int i = 0; i < n; i++)
            if (strncmp(cands[i], word, strlen(word)) == 0)
                return cands[i];
    return NULL;
}

int sr_name_index(const char *word, const char *const *names, int n)
{
    for (int i = 0; word && i < n; i++)
        if (strcmp(word, names[i]) == 0)
            return i;
    return -1;
}

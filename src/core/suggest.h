/* suggest.h - names: looking one up in an enum's name table, and "did you
 * mean": edit distance and the closest candidate. Shared by every layer that rejects a name (CLI commands and
 * options, loss names and parameters, grid keys). */
#ifndef SR_CORE_SUGGEST_H
#define SR_CORE_SUGGEST_H

/* Damerau-Levenshtein distance (optimal string alignment: insertions,
 * deletions, substitutions and adjacent transpositions) between 'a' and 'b'.
 * Strings longer than 64 bytes get the larger of the two lengths. */
int sr_edit_distance(const char *a, const char *b);

/* The closest of the 'n' candidates to 'word', or NULL when none is close
 * enough to suggest: within a third of the word's length (at least one
 * edit), or, for words of 3 or more characters, a candidate that starts
 * with 'word'. Ties go to the earlier candidate. */
const char *sr_suggest(const char *word, const char *const *cands, int n);

/* The index of 'word' among the 'n' names (the name table of an enum), or
 * -1 when it is not one of them or is NULL. Every *_parse of an enum name
 * goes through this. */
int sr_name_index(const char *word, const char *const *names, int n);

#endif

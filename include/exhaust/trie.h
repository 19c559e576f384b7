/*
 * trie.h — a trie of architecture prefixes.
 *
 * Each node is a prefix (the path of tokens from the root); it counts the
 * architectures inserted through it and remembers the most recent one. The
 * search uses it to find, for a new child, the evaluated model sharing the
 * longest prefix (whose tensors it could receive) without scanning them all;
 * the analysis uses its counts for prefix popularity.
 */
#ifndef EXHAUST_TRIE_H
#define EXHAUST_TRIE_H

#include "exhaust/export.h"

#include <stdint.h>

#include "exhaust/error.h"
#include "exhaust/space.h"

typedef struct exh_trie exh_trie;

typedef struct exh_trie_node_info {
    int depth;          /* prefix length */
    int token;          /* the last token of the prefix (-1 at the root) */
    int64_t count;      /* architectures inserted through this prefix */
    int64_t latest_id;  /* the id most recently inserted through it */
    int parent;         /* node index of the prefix one shorter (-1 at the root) */
} exh_trie_node_info;

EXH_API exh_trie *exh_trie_new(void);
EXH_API void exh_trie_free(exh_trie *t);

/* Insert an architecture with an id (e.g. a job id). */
EXH_API int exh_trie_insert(exh_trie *t, const exh_arch *a, int64_t id, exh_error *err);

/* The longest prefix of `a` that some inserted architecture shares: returns
 * its length, and the id most recently inserted through it in *id (-1 when
 * the trie is empty). */
EXH_API int exh_trie_longest_prefix(const exh_trie *t, const exh_arch *a, int64_t *id);

/* The node of prefix a->token[0..depth), or -1 when no inserted
 * architecture has it (depth 0 is the root). */
EXH_API int exh_trie_find(const exh_trie *t, const exh_arch *a, int depth);

/* Nodes, for walks and drawings: node 0 is the root; children come after
 * their parents. */
EXH_API int exh_trie_node_count(const exh_trie *t);
EXH_API exh_trie_node_info exh_trie_node(const exh_trie *t, int node);

#endif

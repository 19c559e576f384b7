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

#include <stdint.h>

#include "exhaust/error.h"
#include "exhaust/space.h"

typedef struct trie trie;

typedef struct trie_node_info {
    int depth;          /* prefix length */
    int token;          /* the last token of the prefix (-1 at the root) */
    int64_t count;      /* architectures inserted through this prefix */
    int64_t latest_id;  /* the id most recently inserted through it */
    int parent;         /* node index of the prefix one shorter (-1 at the root) */
} trie_node_info;

trie *trie_new(void);
void trie_free(trie *t);

/* Insert an architecture with an id (e.g. a job id). */
int trie_insert(trie *t, const arch *a, int64_t id, exh_error *err);

/* The longest prefix of `a` that some inserted architecture shares: returns
 * its length, and the id most recently inserted through it in *id (-1 when
 * the trie is empty). */
int trie_longest_prefix(const trie *t, const arch *a, int64_t *id);

/* The node of prefix a->token[0..depth), or -1 when no inserted
 * architecture has it (depth 0 is the root). */
int trie_find(const trie *t, const arch *a, int depth);

/* Nodes, for walks and drawings: node 0 is the root; children come after
 * their parents. */
int trie_node_count(const trie *t);
trie_node_info trie_node(const trie *t, int node);

#endif

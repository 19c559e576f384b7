/* trie.c — prefix trie over architecture tokens (see trie.h).
 *
 * Nodes live in one growing array; each keeps its children as a linked list
 * (first child, next sibling). Architectures have a handful of choices per
 * position, so a short list walk beats a hash per node. */
#include "exhaust/trie.h"

#include <stdlib.h>

typedef struct trie_entry {
    exh_trie_node_info info;
    int first_child, next_sibling;
} trie_entry;

struct exh_trie {
    trie_entry *nodes;
    int count, capacity;
};

static int add_node(exh_trie *t, int parent, int token, exh_error *err)
{
    if (t->count == t->capacity) {
        int capacity = t->capacity ? t->capacity * 2 : 256;
        trie_entry *grown = realloc(t->nodes, sizeof *grown * (size_t)capacity);
        if (!grown)
            return exh_error_set(err, EXH_ERR_NOMEM, "out of memory growing the trie");
        t->nodes = grown;
        t->capacity = capacity;
    }
    int node = t->count++;
    trie_entry *e = &t->nodes[node];
    e->info.depth = parent < 0 ? 0 : t->nodes[parent].info.depth + 1;
    e->info.token = token;
    e->info.count = 0;
    e->info.latest_id = -1;
    e->info.parent = parent;
    e->first_child = -1;
    e->next_sibling = -1;
    if (parent >= 0) {
        e->next_sibling = t->nodes[parent].first_child;
        t->nodes[parent].first_child = node;
    }
    return node;
}

exh_trie *exh_trie_new(void)
{
    exh_trie *t = calloc(1, sizeof *t);
    if (t && add_node(t, -1, -1, NULL) < 0) {
        free(t);
        return NULL;
    }
    return t;
}

void exh_trie_free(exh_trie *t)
{
    if (t) {
        free(t->nodes);
        free(t);
    }
}

static int find_child(const exh_trie *t, int node, int token)
{
    for (int c = t->nodes[node].first_child; c >= 0; c = t->nodes[c].next_sibling)
        if (t->nodes[c].info.token == token)
            return c;
    return -1;
}

int exh_trie_insert(exh_trie *t, const exh_arch *a, int64_t id, exh_error *err)
{
    int node = 0;
    t->nodes[0].info.count++;
    t->nodes[0].info.latest_id = id;
    for (int i = 0; i < a->length; i++) {
        int child = find_child(t, node, a->token[i]);
        if (child < 0) {
            child = add_node(t, node, a->token[i], err);
            if (child < 0)
                return child;
        }
        node = child;
        t->nodes[node].info.count++;
        t->nodes[node].info.latest_id = id;
    }
    return EXH_OK;
}

int exh_trie_longest_prefix(const exh_trie *t, const exh_arch *a, int64_t *id)
{
    int node = 0, depth = 0;
    for (int i = 0; i < a->length; i++) {
        int child = find_child(t, node, a->token[i]);
        if (child < 0)
            break;
        node = child;
        depth++;
    }
    *id = t->nodes[node].info.latest_id;
    return depth;
}

int exh_trie_find(const exh_trie *t, const exh_arch *a, int depth)
{
    int node = 0;
    for (int i = 0; i < depth && i < a->length && node >= 0; i++)
        node = find_child(t, node, a->token[i]);
    return depth > a->length ? -1 : node;
}

int exh_trie_node_count(const exh_trie *t)
{
    return t->count;
}

exh_trie_node_info exh_trie_node(const exh_trie *t, int node)
{
    return t->nodes[node].info;
}

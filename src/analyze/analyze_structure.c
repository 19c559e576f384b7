/* analyze_structure.c — RQ1: the prefix trie of a trace, its transfers,
 * the distributions of mutation positions and prefix lengths, and the trie
 * drawn for Graphviz. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/analyze.h"

static void count_transfer(exh_analyze_structure *s, const exh_trace_record *r)
{
    exh_arch a;
    exh_trace_record_arch(r, &a);
    for (int depth = 1; depth <= r->prefix_length; depth++) {
        int node = exh_trie_find(s->prefixes, &a, depth);
        if (node < 0)
            break;
        s->transfers[node]++;
    }
}

double exh_analyze_expected_kept_prefix(int length, double mutation_exponent)
{
    if (mutation_exponent == 0.0)
        return (length - 1) / 2.0;
    double weighted = 0, total = 0;
    for (int i = 0; i < length; i++) {
        double w = pow(i + 1.0, mutation_exponent);
        weighted += i * w;
        total += w;
    }
    return total > 0 ? weighted / total : NAN;
}

/* The trie as plain nodes: what reports draw, without reaching into it. */
static int copy_nodes(exh_analyze_structure *s, exh_error *err)
{
    s->node_count = exh_trie_node_count(s->prefixes);
    s->nodes = malloc(sizeof *s->nodes * (size_t)(s->node_count + 1));
    if (!s->nodes)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    for (int i = 0; i < s->node_count; i++) {
        exh_trie_node_info n = exh_trie_node(s->prefixes, i);
        s->nodes[i] = (exh_analyze_prefix_node){n.parent, n.depth, n.token, n.count,
                                                s->transfers[i]};
    }
    return EXH_OK;
}

int exh_analyze_structure_build(const exh_trace_record *records, int64_t count,
                                exh_analyze_structure *out, exh_error *err)
{
    return exh_analyze_structure_build_weighted(records, count, 0.0, out, err);
}

int exh_analyze_structure_build_weighted(const exh_trace_record *records, int64_t count,
                                         double mutation_exponent, exh_analyze_structure *out,
                                         exh_error *err)
{
    memset(out, 0, sizeof *out);
    out->mutation_exponent = mutation_exponent;
    out->prefixes = exh_trie_new();
    if (!out->prefixes)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    int rc = EXH_OK;
    double length_sum = 0, prefix_sum = 0, expected_sum = 0;
    for (int64_t i = 0; rc == 0 && i < count; i++) {
        const exh_trace_record *r = &records[i];
        exh_arch a;
        rc = exh_trie_insert(out->prefixes, exh_trace_record_arch(r, &a), r->job_id, err);
        if (r->arch_length > out->max_length)
            out->max_length = r->arch_length;
        if (r->mutated_position >= 0 && r->mutated_position < EXH_ARCH_MAX_TOKENS)
            out->mutation_positions[r->mutated_position]++;
        if (r->donor_id >= 0 && r->prefix_length >= 0 && r->prefix_length <= EXH_ARCH_MAX_TOKENS) {
            out->prefix_lengths[r->prefix_length]++;
            out->children++;
            prefix_sum += r->prefix_length;
            length_sum += r->arch_length;
            expected_sum += exh_analyze_expected_kept_prefix(r->arch_length,
                                                             mutation_exponent);
        }
    }
    out->total = count;
    out->mean_prefix = out->children ? prefix_sum / (double)out->children : NAN;
    out->mean_length = out->children ? length_sum / (double)out->children : NAN;
    out->expected_mean_prefix = out->children ? expected_sum / (double)out->children : NAN;
    /* Transfers need the finished trie, for node indices. */
    out->transfers = rc == 0 ? calloc((size_t)exh_trie_node_count(out->prefixes), sizeof(int64_t))
                             : NULL;
    if (rc == 0 && !out->transfers)
        rc = exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; rc == 0 && i < count; i++)
        if (records[i].donor_id >= 0)
            count_transfer(out, &records[i]);
    if (rc == 0)
        rc = copy_nodes(out, err);
    if (rc < 0)
        exh_analyze_structure_free(out);
    return rc;
}

void exh_analyze_structure_free(exh_analyze_structure *s)
{
    exh_trie_free(s->prefixes);
    free(s->transfers);
    free(s->nodes);
    memset(s, 0, sizeof *s);
}

static void node_label(const exh_space *sp, const exh_analyze_prefix_node *n, char *out,
                       size_t size)
{
    if (n->depth == 0)
        snprintf(out, size, "root");
    else if (sp && exh_space_choice_name(sp, n->depth - 1, n->token))
        snprintf(out, size, "%d: %s", n->depth - 1,
                 exh_space_choice_name(sp, n->depth - 1, n->token));
    else
        snprintf(out, size, "%d: %d", n->depth - 1, n->token);
}

void exh_analyze_trie_dot(const exh_analyze_structure *s, const exh_space *sp, double min_share,
                          FILE *out)
{
    fprintf(out, "digraph prefixes {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\","
                 " fontname=\"Helvetica\", fontsize=10];\n  edge [color=\"#888888\"];\n");
    for (int i = 0; i < s->node_count; i++) {
        const exh_analyze_prefix_node *n = &s->nodes[i];
        double share = s->total ? (double)n->models / (double)s->total : 0;
        if (share < min_share)
            continue; /* children come after parents: a pruned parent prunes its subtree */
        char label[128];
        node_label(sp, n, label, sizeof label);
        /* Light to dark blue with the share; white text on the darkest. */
        fprintf(out, "  n%d [label=\"%s\\n%.1f%% of models\\n%lld transfers\", "
                     "fillcolor=\"0.6 %.3f 1.0\"%s];\n",
                i, label, 100 * share, (long long)n->transfers, 0.05 + 0.9 * share,
                share > 0.6 ? ", fontcolor=white" : "");
        if (n->parent >= 0)
            fprintf(out, "  n%d -> n%d;\n", n->parent, i);
    }
    fprintf(out, "}\n");
}

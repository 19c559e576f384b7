/* repo_writer.c — a test helper (not a test): saves models into a model
 * repository as a search would, until COUNT are saved or it is killed.
 * test_repo_kill.sh kills it at random moments and checks the repository;
 * test_cli_repo.sh uses it to make a repository to list.
 *
 * usage: repo_writer DIR FIRST_ID COUNT SEED
 *
 * Model FIRST_ID + i has a random NB201-like architecture (6 positions, 5
 * choices, seeded); it receives its donor's prefix (exh_repo_donor) frozen,
 * i.e. the same tensors, and new random tensors for the other positions
 * (NB201 sizes / 64: kills land inside saves, and checks stay quick). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/cachesim.h"
#include "exhaust/repo.h"
#include "exhaust/rng.h"

static int save_one(exh_repo *r, exh_rng *rng, int64_t id, exh_error *err)
{
    exh_repo_model m = {.id = id, .parent_id = -1, .quality = exh_rng_uniform(rng)};
    m.architecture.length = 6;
    for (int p = 0; p < 6; p++)
        m.architecture.token[p] = (int32_t)exh_rng_below(rng, 5);
    snprintf(m.space, sizeof m.space, "nb201");
    int rc = exh_repo_donor(r, &m.architecture, &m.donor_id, &m.prefix_length, err);
    m.parent_id = m.donor_id;
    exh_repo_tensors prefix = {0};
    if (rc == EXH_OK && m.donor_id >= 0)
        rc = exh_repo_load_prefix(r, m.donor_id, m.prefix_length, &prefix, err);
    exh_repo_save *s = NULL;
    if (rc == EXH_OK)
        rc = exh_repo_save_begin(r, &m, &s, err);
    for (int i = 0; rc == EXH_OK && i < prefix.count; i++) {
        const exh_repo_tensor *t = &prefix.tensors[i];
        rc = exh_repo_save_add_tensor(s, t->position, t->name, t->dtype, t->ndim, t->shape, t->data,
                                      t->bytes, err);
    }
    for (int p = prefix.count ? prefix.tensors[prefix.count - 1].position + 1 : 0;
         rc == EXH_OK && p < 6; p++) {
        int64_t floats = exh_cachesim_nb201_tensor_bytes(&m.architecture, p, NULL) / 4 / 64 + 1;
        float *data = malloc(sizeof *data * (size_t)floats);
        if (!data)
            return EXH_ERR_NOMEM;
        for (int64_t k = 0; k < floats; k++)
            data[k] = (float)exh_rng_uniform(rng);
        char name[32];
        snprintf(name, sizeof name, "cell.edge%d.weight", p);
        rc = exh_repo_save_add_tensor(s, p, name, EXH_DTYPE_F32, 1, &floats, data,
                                      floats * 4, err);
        free(data);
    }
    exh_repo_tensors_release(&prefix);
    if (rc == EXH_OK)
        return exh_repo_save_commit(s, err);
    exh_repo_save_abort(s);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: repo_writer DIR FIRST_ID COUNT SEED\n");
        return 2;
    }
    int64_t first = atoll(argv[2]), count = atoll(argv[3]);
    exh_rng *rng = exh_rng_new((uint64_t)atoll(argv[4]));
    exh_repo_options o;
    exh_repo_options_default(&o);
    o.fsync = 0; /* a killed process loses nothing written; fsync guards power loss */
    exh_repo *r;
    exh_error err;
    int rc = exh_repo_open(argv[1], &o, &r, &err);
    for (int64_t i = 0; rc == EXH_OK && i < count; i++)
        rc = save_one(r, rng, first + i, &err);
    if (rc < 0)
        fprintf(stderr, "repo_writer: %s\n", err.message);
    exh_repo_close(r);
    exh_rng_free(rng);
    return rc < 0;
}

/* report_graphviz.c — trie.svg from trie.dot with Graphviz's dot, run
 * directly (no shell, so any folder name is safe). */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "exhaust/report_analysis.h"

extern char **environ;

int exh_report_render_trie(const char *dir, exh_error *err)
{
    char dot_path[4096], svg_path[4096];
    snprintf(dot_path, sizeof dot_path, "%s/trie.dot", dir);
    snprintf(svg_path, sizeof svg_path, "%s/trie.svg", dir);
    char *argv[] = {"dot", "-Tsvg", dot_path, "-o", svg_path, NULL};
    remove(svg_path); /* dot would write through a link planted at trie.svg */
    pid_t pid;
    int rc = posix_spawnp(&pid, "dot", NULL, NULL, argv, environ);
    if (rc == ENOENT)
        return exh_error_set(err, EXH_ERR_NOT_FOUND,
                             "Graphviz's dot is not installed: the trie is in %s only", dot_path);
    if (rc != 0)
        return exh_error_set(err, EXH_ERR_IO, "dot: %s", strerror(rc));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        remove(svg_path);
        return exh_error_set(err, EXH_ERR_IO, "dot failed on %s", dot_path);
    }
    return EXH_OK;
}

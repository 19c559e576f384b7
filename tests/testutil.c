#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *test_data_dir(void)
{
    const char *dir = getenv("EXHAUST_DATA");
    struct stat st;
    if (dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return dir;
    return NULL;
}

const char *test_require_data(void)
{
    const char *dir = test_data_dir();
    if (!dir) {
        printf("SKIP: real data not found (EXHAUST_DATA=%s); these tests need ../shared/data\n",
               getenv("EXHAUST_DATA") ? getenv("EXHAUST_DATA") : "(unset)");
        exit(TEST_SKIP_CODE);
    }
    return dir;
}

static char temp_dir[256];

static void remove_temp_dir(void)
{
    char command[320];
    if (temp_dir[0]) {
        snprintf(command, sizeof command, "rm -rf '%s'", temp_dir);
        if (system(command) != 0)
            fprintf(stderr, "could not remove %s\n", temp_dir);
    }
}

const char *test_temp_dir(void)
{
    if (!temp_dir[0]) {
        snprintf(temp_dir, sizeof temp_dir, "/tmp/exhaust-test-XXXXXX");
        if (!mkdtemp(temp_dir)) {
            perror("mkdtemp");
            exit(1);
        }
        atexit(remove_temp_dir);
    }
    return temp_dir;
}

char *test_temp_path(const char *name)
{
    /* A ring of buffers: a few paths stay valid at once. */
    static char paths[16][512];
    static int next;
    char *path = paths[next++ % 16];
    snprintf(path, 512, "%s/%s", test_temp_dir(), name);
    return path;
}

char *test_write_file(const char *name, const char *text)
{
    char *path = test_temp_path(name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
    return path;
}

int test_count_of(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

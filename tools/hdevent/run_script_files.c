/* SPDX-License-Identifier: MIT */
/*
 * The script files of a scenario (`!vmcall script {file:PATH}`), read before `hdevent run`
 * installs its seccomp filter, which refuses every open(). Each command line that names a
 * file is parsed once here for the path; the file is read once however many lines name it.
 * The lines then load their scripts from here (cli_set_script_loader), and a file that could
 * not be read fails its lines, with the reason, when they run: as before the filter.
 */
#define _POSIX_C_SOURCE 200809L /* strdup, strncasecmp */
#include "cli.h"
#include "run.h"

#include <hdevent/command.h>
#include <hdevent/script.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct script_file {
    char *path;
    char *text;  /* NULL: not read, see error */
    size_t length;
    char error[256];
};

/* The tool is single-threaded and runs one scenario: one table. */
static struct script_file *files;
static size_t file_count;

static struct script_file *find(const char *path)
{
    for (size_t i = 0; i < file_count; i++)
        if (!strcmp(files[i].path, path))
            return &files[i];
    return NULL;
}

/* Read @p f->path: at most HD_SCRIPT_TEXT_MAX + 1 bytes, so that the compiler refuses a file
 * past its limit with its own message. */
static void read_one(struct script_file *f)
{
    FILE *in = fopen(f->path, "rb");

    if (!in) {
        snprintf(f->error, sizeof(f->error), "cannot read the script file %.180s: %s", f->path,
                 strerror(errno));
        return;
    }
    f->text = malloc((size_t)HD_SCRIPT_TEXT_MAX + 1);
    if (f->text)
        f->length = fread(f->text, 1, (size_t)HD_SCRIPT_TEXT_MAX + 1, in);
    if (!f->text || ferror(in)) {
        snprintf(f->error, sizeof(f->error), "cannot read the script file %.180s%s", f->path,
                 f->text ? "" : ": out of memory");
        free(f->text);
        f->text = NULL;
    }
    fclose(in);
}

/* Does @p line mention `file:` at all? Only such lines are parsed ahead of time. */
static bool mentions_file(const char *line)
{
    for (const char *p = line; *p; p++)
        if (!strncasecmp(p, "file:", 5))
            return true;
    return false;
}

bool run_script_files_read(char *const *lines, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        struct hd_command cmd;
        struct script_file *grown;

        if (!mentions_file(lines[i]) || hd_command_parse(lines[i], &cmd, NULL) != HD_OK)
            continue; /* no file, or an error the line reports when it runs */
        if ((cmd.flags & HD_COMMAND_SCRIPT_FILE) && !find(cmd.script.text)) {
            grown = realloc(files, (file_count + 1) * sizeof(*files));
            if (!grown || !(grown[file_count].path = strdup(cmd.script.text))) {
                files = grown ? grown : files;
                hd_command_free(&cmd);
                return false;
            }
            files = grown;
            files[file_count].text = NULL;
            files[file_count].length = 0;
            files[file_count].error[0] = 0;
            read_one(&files[file_count++]);
        }
        hd_command_free(&cmd);
    }
    cli_set_script_loader(run_script_file_load);
    return true;
}

enum hd_status run_script_file_load(struct hd_command *cmd, struct hd_command_error *err)
{
    const struct script_file *f;

    if (cmd->kind != HD_COMMAND_VMCALL || !(cmd->flags & HD_COMMAND_SCRIPT_FILE))
        return HD_OK;
    f = find(cmd->script.text);
    if (f && f->text)
        return hd_command_load_script_text(cmd, f->text, f->length, err);
    if (err) {
        memset(err, 0, sizeof(*err));
        err->column = cmd->script.column;
        err->length = 6;
        snprintf(err->token, sizeof(err->token), "script");
        snprintf(err->message, sizeof(err->message), "%s",
                 f ? f->error : "the script file was not read before the run began");
    }
    return HD_ERR_INVALID_ARGUMENT;
}

void run_script_files_free(void)
{
    for (size_t i = 0; i < file_count; i++) {
        free(files[i].path);
        free(files[i].text);
    }
    free(files);
    files = NULL;
    file_count = 0;
    cli_set_script_loader(NULL);
}

/* The floor of any libcurl client (bench/): load Debian's libcurl, initialise it, send
 * one POST with the machine auth header, read the whole body, then execve the command with N
 * dummy variables already in the environment array. No parsing, no decryption, no checks: what
 * seclab-run could not go under with libcurl on this machine, timed beside it.
 *
 * usage: curl-floor URL AUTHORIZATION N COMMAND [ARG...]   (build: cc -O2 curl-floor.c -lcurl) */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sink { char *data; size_t size; };

static size_t collect(char *data, size_t size, size_t count, void *context) {
    struct sink *sink = context;
    size_t length = size * count;
    char *grown = realloc(sink->data, sink->size + length);
    if (!grown) return 0;
    memcpy(grown + sink->size, data, length);
    sink->data = grown;
    sink->size += length;
    return length;
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: curl-floor URL AUTHORIZATION N COMMAND [ARG...]\n"); return 2; }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 3;
    CURL *handle = curl_easy_init();
    char header[512];
    snprintf(header, sizeof header, "Authorization: %s", argv[2]);
    struct curl_slist *headers = curl_slist_append(NULL, header);
    headers = curl_slist_append(headers, "Content-Type: application/json");
    struct sink sink = { NULL, 0 };
    curl_easy_setopt(handle, CURLOPT_URL, argv[1]);
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, "{}");
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &sink);
    long status = 0;
    if (curl_easy_perform(handle) != CURLE_OK) return 4;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200 || sink.size == 0) return 5;
    int n = atoi(argv[3]);
    char **envp = calloc((size_t)n + 1, sizeof *envp);
    for (int i = 0; i < n; i++) {
        envp[i] = malloc(80);
        snprintf(envp[i], 80, "SECRET_%05d=%s", i, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST");
    }
    execve(argv[4], argv + 4, envp);
    return 127;
}

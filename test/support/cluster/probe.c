/*
 * The cluster suite's task image: one static binary in an image FROM scratch, so it is a few
 * hundred KiB to push and pull to every node.
 *   probe                 answers every TCP connection on port 7000 with its host name, a line
 *   probe get ADDR PORT   prints the line such a probe at ADDR answers (exit 1 when none does)
 * It is PID 1 in its container, where SIGTERM has no default action: it exits on it itself.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PORT 7000

static void leave(int signal) { (void)signal; _exit(0); }

static int get(const char *addr, int port) {
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
  char line[256];
  ssize_t got;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || inet_pton(AF_INET, addr, &to.sin_addr) != 1) return 1;
  if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) { perror("connect"); return 1; }
  got = read(fd, line, sizeof line - 1);
  if (got <= 0) return 1;
  fwrite(line, 1, (size_t)got, stdout);
  return 0;
}

static int serve(void) {
  struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons(PORT), .sin_addr.s_addr = htonl(INADDR_ANY)};
  char name[200], line[256];
  int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
  gethostname(name, sizeof name);
  snprintf(line, sizeof line, "%s\n", name);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&at, sizeof at) != 0 || listen(fd, 16) != 0) { perror("listen"); return 1; }
  for (;;) {
    int client = accept(fd, NULL, NULL);
    if (client < 0) continue;
    if (write(client, line, strlen(line)) < 0) perror("write");
    close(client);
  }
}

int main(int argc, char **argv) {
  signal(SIGTERM, leave);
  signal(SIGINT, leave);
  if (argc == 4 && strcmp(argv[1], "get") == 0) return get(argv[2], atoi(argv[3]));
  return serve();
}

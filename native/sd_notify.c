// sd_notify(3) for Node: send one datagram to the AF_UNIX socket systemd names in NOTIFY_SOCKET.
// Node has no AF_UNIX datagram sockets (nodejs/node#29339), hence this addon. It only sends: the
// socket is made, used and closed in one synchronous call, which takes microseconds.
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <node_api.h>

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, NULL, "sd_notify: N-API call failed: " #call); \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

// Builds the address like systemd does: "/path" is a file system socket, "@name" an abstract one
// whose first byte is NUL. The length passed to sendto() must be exact for abstract names: the
// kernel counts every byte, so sizeof(struct sockaddr_un) would name a different socket.
static int make_address(const char *text, size_t len, struct sockaddr_un *sa, socklen_t *sa_len) {
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  if (len < 2 || len > sizeof sa->sun_path || (text[0] != '/' && text[0] != '@')) return -EINVAL;
  memcpy(sa->sun_path, text, len);
  if (text[0] == '@') sa->sun_path[0] = '\0';
  *sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
  return 0;
}

// send(address: string, state: string): number — 0 when sent, or a negative errno.
static napi_value Send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 2) {
    napi_throw_type_error(env, NULL, "sd_notify: send(address, state) takes two strings");
    return NULL;
  }
  size_t address_len = 0, state_len = 0;
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &address_len) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], NULL, 0, &state_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "sd_notify: send(address, state) takes two strings");
    return NULL;
  }
  char address[sizeof(((struct sockaddr_un *)0)->sun_path) + 2];
  int result = 0;
  struct sockaddr_un sa;
  socklen_t sa_len = 0;
  if (address_len >= sizeof address) {
    result = -ENAMETOOLONG;
  } else {
    CHECK(napi_get_value_string_utf8(env, argv[0], address, sizeof address, &address_len));
    result = make_address(address, address_len, &sa, &sa_len);
  }
  if (result == 0) {
    char *state = malloc(state_len + 1);
    if (state == NULL) {
      result = -ENOMEM;
    } else if (napi_get_value_string_utf8(env, argv[1], state, state_len + 1, &state_len) != napi_ok) {
      result = -EINVAL;
    } else {
      int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        result = -errno;
      } else {
        // MSG_NOSIGNAL: never SIGPIPE the service because the manager went away.
        if (sendto(fd, state, state_len, MSG_NOSIGNAL, (struct sockaddr *)&sa, sa_len) < 0) result = -errno;
        close(fd);
      }
    }
    free(state);
  }
  napi_value out;
  CHECK(napi_create_int32(env, result, &out));
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  CHECK(napi_create_function(env, "send", NAPI_AUTO_LENGTH, Send, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "send", fn));
  return exports;
}

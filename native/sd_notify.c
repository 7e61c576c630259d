// sd_notify(3) for Node: send one datagram to the AF_UNIX socket systemd names in NOTIFY_SOCKET,
// with file descriptors attached when asked (sd_pid_notify_with_fds(3), for the fd store).
// Node has no AF_UNIX datagram sockets (nodejs/node#29339), hence this addon. It only sends: the
// socket is made, used and closed in one synchronous call, which takes microseconds. It also says
// what kind of socket an fd is (getsockopt, which Node lacks), for fds the fd store hands back.
#include <errno.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
// whose first byte is NUL. The length passed to sendmsg() must be exact for abstract names: the
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

// More than one message carries on Linux (SCM_MAX_FD); we send one connection per message.
#define MAX_FDS 253

// Sends state with fds as SCM_RIGHTS, as sd_pid_notify_with_fds() does. MSG_DONTWAIT: when the
// manager's queue is full the caller keeps the connection instead of blocking the event loop.
static int send_message(int fd, const char *state, size_t state_len, const struct sockaddr_un *sa,
                        socklen_t sa_len, const int *fds, size_t n_fds) {
  struct iovec iov = {.iov_base = (void *)state, .iov_len = state_len};
  struct msghdr msg = {.msg_name = (void *)sa, .msg_namelen = sa_len, .msg_iov = &iov, .msg_iovlen = 1};
  char control[CMSG_SPACE(sizeof(int) * MAX_FDS)];
  int flags = MSG_NOSIGNAL;
  if (n_fds > 0) {
    memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
    memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * n_fds);
    flags |= MSG_DONTWAIT;
  }
  return sendmsg(fd, &msg, flags) < 0 ? -errno : 0;
}

// send(address: string, state: string, fds?: number[]): number — 0 when sent, or a negative errno.
static napi_value Send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "sd_notify: send(address, state) takes two strings");
    return NULL;
  }
  size_t address_len = 0, state_len = 0;
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &address_len) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], NULL, 0, &state_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "sd_notify: send(address, state) takes two strings");
    return NULL;
  }
  int fds[MAX_FDS];
  uint32_t n_fds = 0;
  if (argc >= 3) {
    bool is_array = false;
    napi_valuetype type;
    CHECK(napi_typeof(env, argv[2], &type));
    if (type != napi_undefined) {
      if (napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array ||
          napi_get_array_length(env, argv[2], &n_fds) != napi_ok || n_fds > MAX_FDS) {
        napi_throw_type_error(env, NULL, "sd_notify: send(address, state, fds) takes at most 253 fds in an array");
        return NULL;
      }
      for (uint32_t i = 0; i < n_fds; i++) {
        napi_value item;
        CHECK(napi_get_element(env, argv[2], i, &item));
        if (napi_get_value_int32(env, item, &fds[i]) != napi_ok || fds[i] < 0) {
          napi_throw_type_error(env, NULL, "sd_notify: send(address, state, fds): each fd is a number, 0 or more");
          return NULL;
        }
      }
    }
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
        result = send_message(fd, state, state_len, &sa, sa_len, fds, n_fds);
        close(fd);
      }
    }
    free(state);
  }
  napi_value out;
  CHECK(napi_create_int32(env, result, &out));
  return out;
}

// What socketState() answers; src/systemd/fd-kind.ts has the same numbers.
enum { CONNECTED_STREAM = 0, LISTENING = 1, NOT_STREAM = 2, NOT_CONNECTED = 3, NOT_SOCKET = 4 };

// socketState(fd: number): number — one of the above, or a negative errno (-EBADF: not open).
// Reads only: it never takes the fd over, so a bad one can still be closed by the caller.
static napi_value SocketState(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int fd = -1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "sd_notify: socketState(fd) takes a number");
    return NULL;
  }
  int result;
  struct stat st;
  int type = 0, listening = 0;
  socklen_t len = sizeof type;
  struct sockaddr_storage peer;
  socklen_t peer_len = sizeof peer;
  if (fstat(fd, &st) < 0) {
    result = -errno;
  } else if (!S_ISSOCK(st.st_mode)) {
    result = NOT_SOCKET;
  } else if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
    result = -errno;
  } else if (type != SOCK_STREAM) {
    result = NOT_STREAM;
  } else if ((len = sizeof listening, getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len)) < 0) {
    result = -errno;
  } else if (listening) {
    result = LISTENING;
  } else if (getpeername(fd, (struct sockaddr *)&peer, &peer_len) < 0) {
    result = errno == ENOTCONN ? NOT_CONNECTED : -errno;
  } else {
    result = CONNECTED_STREAM;
  }
  napi_value out;
  CHECK(napi_create_int32(env, result, &out));
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  CHECK(napi_create_function(env, "send", NAPI_AUTO_LENGTH, Send, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "send", fn));
  CHECK(napi_create_function(env, "socketState", NAPI_AUTO_LENGTH, SocketState, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "socketState", fn));
  return exports;
}

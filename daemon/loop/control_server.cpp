// ControlServer: libuv pipe server with line framing, limits and peer-credential checks.
#include "daemon/loop/control_server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "daemon/loop/loop_failure.hpp"
#include "daemon/util/log.hpp"

namespace meshcall {

namespace {

void prepare_directory(const std::string& dir) {
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        throw std::runtime_error("cannot create " + dir + ": " + std::strerror(errno));
    struct stat st {};
    if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw std::runtime_error(dir + " is not a directory");
    if (st.st_uid != getuid())
        throw std::runtime_error(
            dir + " belongs to another user; refusing to put the control socket there");
    if ((st.st_mode & 0077) != 0 && chmod(dir.c_str(), 0700) != 0)
        throw std::runtime_error("cannot make " + dir + " private: " + std::strerror(errno));
}

// True if something accepts connections at `path`.
bool socket_is_live(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    const bool live = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return live;
}

void clear_stale(const std::string& path) {
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) return;
    if (S_ISLNK(st.st_mode))
        throw std::runtime_error(
            path + " is a symbolic link; refusing to use it (remove it if it is yours)");
    if (!S_ISSOCK(st.st_mode))
        throw std::runtime_error(path + " exists and is not a socket; refusing to replace it");
    if (socket_is_live(path))
        throw ControlServer::AlreadyRunning("this room is already joined: a meshcalld answers on " +
                                            path);
    if (unlink(path.c_str()) != 0)
        throw std::runtime_error("cannot remove the stale socket " + path + ": " +
                                 std::strerror(errno));
    spdlog::info("replaced a stale control socket at {}", path);
}

}  // namespace

struct ControlServer::Client {
    // Replies waiting in libuv beyond this: stop reading this client's requests until they
    // drain, so a client that never reads costs at most this much.
    static constexpr std::size_t kMaxBacklog = 4 * 1024;
    static constexpr int kSendBuffer = 4 * 1024;  // the kernel doubles it

    uv_pipe_t pipe{};
    ControlServer* server = nullptr;
    ClientId id = 0;
    bool awaiting_reply = false;  // a deferred reply is due: later requests wait for it
    Client* next = nullptr;
    Client* prev = nullptr;
    std::string inbox;        // bytes received, not yet handled
    bool discarding = false;  // inside an over-long line: drop until its newline
    bool reading = false;
    uint64_t last_active = 0;  // the server's activity count at its last request or connection
    char read_buffer[4096];

    struct Write {
        uv_write_t req{};
        std::string data;
    };

    uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&pipe); }
    bool closing() { return uv_is_closing(reinterpret_cast<uv_handle_t*>(&pipe)); }
    std::size_t backlog() { return uv_stream_get_write_queue_size(stream()); }

    void send(std::string text) {
        if (closing()) return;
        auto* w = new Write;
        w->data = std::move(text);
        w->req.data = w;
        uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
        if (uv_write(&w->req, stream(), &buf, 1, on_written) != 0) {
            delete w;
            close();
        }
    }

    static void on_written(uv_write_t* req, int status) {
        guarded(req->handle->loop, "control socket write", [&] { written(req, status); });
    }
    static void written(uv_write_t* req, int status) {
        auto* w = static_cast<Write*>(req->data);
        uv_stream_t* s = req->handle;
        delete w;
        if (status == UV_ECANCELED) return;  // closing
        auto* self = static_cast<Client*>(s->data);
        if (status < 0) {  // the client went away: what it still asked is void
            self->close();
            return;
        }
        if (!self->reading && self->backlog() < kMaxBacklog) self->pump();
    }

    void handle_line(std::string_view line) {
        last_active = ++server->activity_;
        ParsedRequest parsed = parse_control_request(line);
        if (!parsed.ok) {
            ++server->bad_requests_;
            send(error_reply(parsed.error));
            return;
        }
        std::optional<std::string> reply = server->handler_(parsed.request, id);
        if (reply)
            send(std::move(*reply));
        else
            awaiting_reply = true;
    }

    // Handles complete lines while the reply backlog allows, then reads on or pauses.
    void pump() {
        std::size_t pos = 0;
        while (!closing() && !awaiting_reply && backlog() < kMaxBacklog) {
            const std::size_t nl = inbox.find('\n', pos);
            if (nl == std::string::npos) break;
            std::string_view line(inbox.data() + pos, nl - pos);
            pos = nl + 1;
            if (discarding) {
                discarding = false;
                continue;
            }
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (!line.empty()) handle_line(line);
        }
        inbox.erase(0, pos);
        if (closing()) return;
        if (!awaiting_reply && inbox.find('\n') == std::string::npos &&
            inbox.size() > kMaxControlLine) {
            ++server->bad_requests_;
            if (!discarding) send(error_reply("request longer than 64 KiB; dropped"));
            inbox.clear();
            discarding = true;
        }
        const bool want_read = backlog() < kMaxBacklog && !awaiting_reply;
        if (want_read && !reading) {
            reading = uv_read_start(stream(), on_alloc, on_read) == 0;
        } else if (!want_read && reading) {
            uv_read_stop(stream());
            reading = false;
        }
    }

    static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* self = static_cast<Client*>(h->data);
        *buf = uv_buf_init(self->read_buffer, sizeof self->read_buffer);
    }

    static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        guarded(s->loop, "control socket read", [&] { read(s, nread, buf); });
    }
    static void read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        auto* self = static_cast<Client*>(s->data);
        if (nread < 0) {
            self->close();
            return;
        }
        self->inbox.append(buf->base, static_cast<std::size_t>(nread));
        self->pump();
    }

    void close() {
        auto* h = reinterpret_cast<uv_handle_t*>(&pipe);
        if (uv_is_closing(h)) return;
        uv_close(h, [](uv_handle_t* handle) {
            auto* self = static_cast<Client*>(handle->data);
            ControlServer* server = self->server;
            if (self->prev)
                self->prev->next = self->next;
            else
                server->first_client_ = self->next;
            if (self->next) self->next->prev = self->prev;
            delete self;
            server->client_closed();
        });
    }
};

ControlServer* ControlServer::open(uv_loop_t* loop, const std::string& path, Handler handler) {
    const auto slash = path.find_last_of('/');
    if (path.size() >= sizeof(sockaddr_un{}.sun_path))
        throw std::runtime_error("control socket path too long: " + path);
    if (slash != std::string::npos && slash > 0) prepare_directory(path.substr(0, slash));
    clear_stale(path);

    auto* s = new ControlServer(path, std::move(handler));
    if (int rc = uv_pipe_init(loop, &s->server_, 0); rc != 0) {
        delete s;
        throw std::runtime_error(std::string("cannot make the control socket: ") + uv_strerror(rc));
    }
    s->server_.data = s;
    const mode_t old_mask = umask(0177);  // the socket is born 0600
    int rc = uv_pipe_bind(&s->server_, path.c_str());
    umask(old_mask);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&s->server_), 16, on_connection);
    if (rc != 0) {
        s->closing_ = true;
        uv_close(reinterpret_cast<uv_handle_t*>(&s->server_), on_server_closed);
        throw std::runtime_error("cannot listen on " + path + ": " + uv_strerror(rc));
    }
    return s;
}

void ControlServer::on_connection(uv_stream_t* listener, int status) {
    guarded(listener->loop, "control socket",
            [&] { static_cast<ControlServer*>(listener->data)->accept(listener, status); });
}

void ControlServer::reply(ClientId client, std::string line) {
    for (Client* c = first_client_; c; c = c->next) {
        if (c->id != client || !c->awaiting_reply) continue;
        c->awaiting_reply = false;
        c->send(std::move(line));
        c->pump();  // the requests that waited
        return;
    }
}

void ControlServer::accept(uv_stream_t* listener, int status) {
    ControlServer* self = this;
    if (status < 0 || self->closing_) return;
    auto* c = new Client;
    c->server = self;
    c->id = self->next_id_++;
    if (int rc = uv_pipe_init(listener->loop, &c->pipe, 0); rc != 0) {
        spdlog::warn("control socket: cannot take a client: {}", uv_strerror(rc));
        delete c;
        return;
    }
    c->pipe.data = c;
    c->next = self->first_client_;
    if (c->next) c->next->prev = c;
    self->first_client_ = c;
    ++self->clients_;
    if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&c->pipe)) != 0) {
        c->close();
        return;
    }
    // Only the user who runs the call may drive it.
    uv_os_fd_t fd = -1;
    uv_fileno(reinterpret_cast<uv_handle_t*>(&c->pipe), &fd);
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != getuid()) {
        ++self->refused_clients_;
        c->send(error_reply("permission denied: this call belongs to another user"));
        c->close();
        return;
    }
    c->last_active = ++self->activity_;
    if (self->clients_ > kMaxClients) {
        // Full: the client idle the longest makes room, so idle connections can never lock
        // the owner out of their own call.
        Client* idlest = nullptr;
        for (Client* o = self->first_client_; o; o = o->next) {
            if (o == c || uv_is_closing(reinterpret_cast<uv_handle_t*>(&o->pipe))) continue;
            if (!idlest || o->last_active < idlest->last_active) idlest = o;
        }
        if (idlest) {
            ++self->refused_clients_;
            idlest->send(error_reply("too many control clients; closing the one idle longest"));
            idlest->close();
        }
    }
    int sndbuf = Client::kSendBuffer;
    uv_send_buffer_size(reinterpret_cast<uv_handle_t*>(&c->pipe), &sndbuf);
    c->pump();
}

void ControlServer::client_closed() {
    --clients_;
    maybe_delete();
}

void ControlServer::close() {
    if (closing_) return;
    closing_ = true;
    unlink(path_.c_str());
    for (Client* c = first_client_; c; c = c->next) c->close();
    uv_close(reinterpret_cast<uv_handle_t*>(&server_), on_server_closed);
}

void ControlServer::on_server_closed(uv_handle_t* h) {
    auto* self = static_cast<ControlServer*>(h->data);
    self->server_closed_ = true;
    self->maybe_delete();
}

void ControlServer::maybe_delete() {
    if (closing_ && server_closed_ && clients_ == 0) delete this;
}

}  // namespace meshcall

// ControlServer: the call's Unix control socket (README, "The control socket and the CLI"): one
// JSON request per line, one reply per line. Event-loop thread only.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "protocol/control_message.hpp"
#include "protocol/control_path.hpp"

namespace meshcall {

class ControlServer {
  public:
    // Names a client whose reply is deferred: reply() later sends to it, if it is still there.
    using ClientId = uint64_t;
    // Handles a parsed request; returns the reply line (with '\n'), or nullopt to answer later
    // with reply(`from`, line). Until then the client's further requests wait, so its replies
    // keep their order.
    using Handler = std::function<std::optional<std::string>(const ControlRequest&, ClientId from)>;

    // At most this many clients at once; a new one beyond it closes the one idle longest.
    static constexpr int kMaxClients = 32;

    // Prepares the socket's directory (0700), replaces a stale socket, refuses a live one
    // or a symlink, binds (0600) and listens. Throws std::runtime_error with the reason;
    // a live socket throws AlreadyRunning.
    static ControlServer* open(uv_loop_t* loop, const std::string& path, Handler handler);
    struct AlreadyRunning : std::runtime_error {
        using std::runtime_error::runtime_error;
    };

    // Closes the listener and every client, removes the socket file; the object deletes
    // itself once libuv has closed all of its handles.
    void close();

    // The deferred reply to `client`'s request; dropped if the client has gone.
    void reply(ClientId client, std::string line);

    const std::string& path() const { return path_; }
    uint64_t bad_requests() const { return bad_requests_; }
    uint64_t refused_clients() const { return refused_clients_; }
    int clients() const { return clients_; }

  private:
    struct Client;
    ControlServer(std::string path, Handler handler)
        : path_(std::move(path)), handler_(std::move(handler)) {}
    static void on_connection(uv_stream_t* server, int status);
    void accept(uv_stream_t* listener, int status);
    static void on_server_closed(uv_handle_t* h);
    void client_closed();
    void maybe_delete();

    uv_pipe_t server_{};
    std::string path_;
    Handler handler_;
    Client* first_client_ = nullptr;  // intrusive list of open clients
    int clients_ = 0;
    bool closing_ = false, server_closed_ = false;
    uint64_t bad_requests_ = 0, refused_clients_ = 0;
    uint64_t activity_ = 0;  // counts connections and reads, to find the client idle longest
    ClientId next_id_ = 1;
};

}  // namespace meshcall

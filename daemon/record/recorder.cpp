// Recorder: the record thread: peers' datagrams into NAME.ts files, the mix into mix.wav.
#include "daemon/record/recorder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "daemon/record/record_names.hpp"
#include "daemon/util/log.hpp"
#include "daemon/util/thread_entry.hpp"

namespace meshcall {

namespace {

constexpr auto kPeriod = std::chrono::milliseconds(20);
constexpr std::size_t kMixBlock = 960;            // 20 ms
constexpr std::size_t kMixMaxBehind = 48000 / 5;  // pulling late by more: skip ahead
using Clock = std::chrono::steady_clock;

// A file descriptor with one owner.
class File {
  public:
    File() = default;
    explicit File(int fd) : fd_(fd) {}
    File(File&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    File& operator=(File&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    ~File() { reset(); }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    int get() const { return fd_; }

  private:
    int fd_ = -1;
};

// Writes all of `bytes`; returns errno on failure, 0 on success.
int write_all(int fd, std::span<const uint8_t> bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
    return 0;
}

}  // namespace

struct Recorder::Session {
    std::string dir;
    int take = 1;
    std::vector<File> files;  // per peer; opened at its first datagram
    std::unique_ptr<WavRecorder> wav;
    RecordStatus status;
    uint64_t ts_bytes = 0;
    bool failed = false;
    bool pulling = false;  // the record thread pulls the mixer
    Clock::time_point pull_start;
    uint64_t pulled = 0;
};

Recorder::Recorder(const std::vector<std::string>& peers, MixTap& tap, OnDone on_done)
    : stems_(record_stems(peers)), tap_(tap), on_done_(std::move(on_done)), block_(kMixBlock) {
    thread_ = std::thread([this] { run_thread("record", [this] { run(); }); });
}

Recorder::~Recorder() {
    close();
}

void Recorder::close() {
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

std::string Recorder::start_and_wait(const std::string& dir) {
    auto waiting = std::make_shared<std::promise<std::string>>();
    std::future<std::string> result = waiting->get_future();
    push_command({false, dir, 0, waiting});
    return result.get();
}

void Recorder::start(const std::string& dir, uint64_t token) {
    push_command({false, dir, token, nullptr});
}

void Recorder::stop(uint64_t token) {
    push_command({true, {}, token, nullptr});
}

void Recorder::push_command(Command command) {
    {
        std::lock_guard lock(mutex_);
        if (!closing_) {
            items_.emplace_back(std::move(command));
            command.waiting.reset();
        }
    }
    // Closed: nobody will answer; say so rather than leave a waiter hanging.
    if (command.waiting) command.waiting->set_value("the call is ending");
    wake_.notify_one();
}

void Recorder::on_datagram(std::size_t peer, std::span<const uint8_t> bytes) {
    if (!active_.load(std::memory_order_acquire) || peer >= stems_.size()) return;
    {
        std::lock_guard lock(mutex_);
        if (closing_) return;
        if (queued_datagrams_ >= kQueueDatagrams) {
            dropped_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        items_.emplace_back(Datagram{peer, {bytes.begin(), bytes.end()}});
        ++queued_datagrams_;
    }
    wake_.notify_one();
}

std::optional<RecordStatus> Recorder::status() const {
    std::lock_guard lock(mutex_);
    std::optional<RecordStatus> s = status_;
    if (s) s->dropped = dropped_.load(std::memory_order_relaxed);
    return s;
}

void Recorder::run() {
    for (;;) {
        std::deque<Item> batch;
        bool closing = false;
        {
            std::unique_lock lock(mutex_);
            // Idle (no recording): nothing to pull or drain; a command or close wakes it.
            wake_.wait_for(lock, session_ ? kPeriod : std::chrono::milliseconds(1000),
                           [this] { return closing_ || !items_.empty(); });
            batch.swap(items_);
            queued_datagrams_ = 0;
            closing = closing_;
        }
        for (Item& item : batch) {
            if (auto* d = std::get_if<Datagram>(&item))
                write(*d);
            else
                handle(std::get<Command>(item));
        }
        pull_and_drain();
        publish();
        warn_drops();
        if (closing) break;
    }
    if (session_) {
        spdlog::info("recording into {} ended with the call", session_->dir);
        end();
    }
}

void Recorder::handle(Command& c) {
    Done done;
    done.token = c.token;
    done.stop = c.stop;
    if (c.stop) {
        if (session_) {
            done.status = session_->status;
            end();
            // What the files hold now that they are complete.
            done.status->bytes = 0;
            for (const auto& name : done.status->files) {
                std::error_code ec;
                const auto size = std::filesystem::file_size(done.status->dir + "/" + name, ec);
                if (!ec) done.status->bytes += size;
            }
            done.status->dropped = dropped_.load(std::memory_order_relaxed);
        }
    } else if (session_) {
        done.error = "already recording into " + session_->dir + " (stop that recording first)";
    } else {
        done.error = begin(c.dir);
        if (done.error.empty()) done.status = session_->status;
    }
    publish();
    if (c.waiting) {
        c.waiting->set_value(done.error);
        return;
    }
    if (on_done_) on_done_(std::move(done));
}

std::string Recorder::begin(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return "cannot create the recording directory " + dir + ": " + ec.message();
    if (!std::filesystem::is_directory(dir, ec))
        return "cannot record into " + dir + ": not a directory";
    if (access(dir.c_str(), W_OK | X_OK) != 0)
        return "cannot record into " + dir + ": " + std::strerror(errno);
    auto s = std::make_unique<Session>();
    s->dir = dir;
    s->take = first_free_take(dir, stems_);
    s->files.resize(stems_.size());
    const std::string mix = record_file_name("mix", s->take, ".wav");
    try {
        s->wav = std::make_unique<WavRecorder>(dir + "/" + mix);
    } catch (const std::exception& e) {
        return "cannot write " + dir + "/" + mix + ": " + e.what();
    }
    s->status.dir = dir;
    s->status.files.push_back(mix);
    tap_.discard();  // what the audio thread left there last time
    tap_.set_on(true);
    dropped_.store(0, std::memory_order_relaxed);
    dropped_warned_ = 0;
    session_ = std::move(s);
    active_.store(true, std::memory_order_release);
    spdlog::info("recording into {} (take {})", dir, session_->take);
    return {};
}

void Recorder::end() {
    active_.store(false, std::memory_order_release);
    tap_.set_on(false);
    if (session_->wav) drain_mix(*session_);  // the mix pushed until now
    session_->wav.reset();                    // drains, writes the trailer, closes
    session_.reset();                         // closes the .ts files
}

void Recorder::write(const Datagram& d) {
    Session* s = session_.get();
    if (!s || s->failed) return;
    File& f = s->files[d.peer];
    if (f.get() < 0) {
        const std::string name = record_file_name(stems_[d.peer], s->take, ".ts");
        const std::string path = s->dir + "/" + name;
        File opened(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
        if (opened.get() < 0) {
            fail("cannot write " + path + ": " + std::strerror(errno));
            return;
        }
        f = std::move(opened);
        s->status.files.push_back(name);
    }
    if (int err = write_all(f.get(), d.bytes); err != 0) {
        fail("writing " + s->dir + "/" + record_file_name(stems_[d.peer], s->take, ".ts") + ": " +
             std::strerror(err));
        return;
    }
    s->ts_bytes += d.bytes.size();
}

void Recorder::pull_and_drain() {
    Session* s = session_.get();
    if (!s || !s->wav) return;
    pull_mix(*s);
    drain_mix(*s);
}

void Recorder::pull_mix(Session& session) {
    Session* s = &session;
    AudioMixer* mixer = mixer_.load(std::memory_order_acquire);
    if (mixer) {
        // Nothing else plays the mix: pull it ourselves at real time.
        const Clock::time_point now = Clock::now();
        if (!s->pulling) {
            s->pulling = true;
            s->pull_start = now;
            s->pulled = 0;
        }
        const auto due = static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(now - s->pull_start).count() *
            48 / 1000);
        if (due > s->pulled + kMixMaxBehind) s->pulled = due - kMixBlock;  // we were stalled
        while (s->pulled + kMixBlock <= due) {
            mixer->mix(block_);  // the mixer pushes it to the tap
            s->pulled += kMixBlock;
        }
    } else {
        s->pulling = false;
    }
}

void Recorder::drain_mix(Session& s) {
    for (;;) {
        const std::size_t n = tap_.read(block_);
        if (n == 0) break;
        s.wav->push({block_.data(), n});
    }
}

void Recorder::publish() {
    std::lock_guard lock(mutex_);
    if (!session_) {
        status_.reset();
        return;
    }
    status_ = session_->status;
    status_->bytes =
        session_->ts_bytes + (session_->wav ? session_->wav->samples_written() * 2 : 0);
}

void Recorder::warn_drops() {
    const uint64_t dropped = dropped_.load(std::memory_order_relaxed);
    const Clock::time_point now = Clock::now();
    if (!session_ || dropped <= dropped_warned_ ||
        now - last_drop_warning_ < std::chrono::seconds(10))
        return;
    spdlog::warn("recording into {}: the disk is too slow, {} datagrams dropped so far",
                 session_->dir, dropped);
    dropped_warned_ = dropped;
    last_drop_warning_ = now;
}

void Recorder::fail(const std::string& error) {
    spdlog::error("recording: {}; the recording stops there (the call goes on)", error);
    session_->failed = true;
    session_->status.error = error;
    active_.store(false, std::memory_order_release);
}

}  // namespace meshcall

// PortMapper: the `portmap` thread. Asks the home router to forward the call's UDP port to this
// host (nat/: NAT-PMP, then UPnP-IGD), renews the mapping at half its lifetime, retries a failed
// attempt a few times, and removes the mapping when stopped. A LAN whose router does neither is
// normal: failures are logged at debug level only, and nothing waits for this thread.
//
// Threads: the owner (meshcalld's main) constructs, calls start() once and stop() (or lets the
// destructor do it); the `portmap` thread does every router exchange; current() and
// last_error() may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "daemon/util/thread_check.hpp"
#include "nat/port_mapping.hpp"

namespace meshcall {

class PortMapper {
  public:
    struct Timing {
        std::chrono::milliseconds attempt{3000};       // one mapping or renewal, all methods
        std::chrono::milliseconds removal{1000};       // the goodbye to the router in stop()
        uint32_t lifetime_s = 3600;                    // asked for; renewed at half what is granted
        std::chrono::milliseconds retry_after{60000};  // after a failed attempt
        int retries = 4;                               // failed attempts after the first
    };

    PortMapper() : PortMapper(Timing{}) {}
    explicit PortMapper(Timing timing);
    ~PortMapper();  // stop()
    PortMapper(const PortMapper&) = delete;
    PortMapper& operator=(const PortMapper&) = delete;

    // Owner. Starts the thread, which maps `internal_port` (the call's UDP port); returns at once.
    void start(uint16_t internal_port);
    // Owner. Ends the thread: an attempt in progress is abandoned at its next step (within 50 ms;
    // an SSDP discovery under way runs out its 1 s), a mapping held is removed (bounded by
    // Timing::removal), then joins. Idempotent; a stopped PortMapper does not start again.
    void stop();

    // Any thread. The mapping the router holds for us now, if any.
    std::optional<PortMapping> current() const;
    // Any thread. Why the last attempt failed ("" after a success, or before any attempt).
    std::string last_error() const;

  private:
    void run(uint16_t internal_port, std::stop_token stop);
    // One attempt: renews `held` (mapping afresh if that fails) or maps.
    PortMappingAttempt attempt(uint16_t internal_port, const std::optional<PortMapping>& held,
                               const std::stop_token& stop);
    void publish(const std::optional<PortMapping>& mapping, const std::string& error);
    // Sleeps until `until` or until stop is requested; returns false on stop.
    bool sleep_until(std::chrono::steady_clock::time_point until, const std::stop_token& stop);

    const Timing timing_;
    ThreadCheck owner_;

    mutable std::mutex mutex_;  // guards current_ and last_error_; the sleep's condition
    std::condition_variable_any wake_;
    std::optional<PortMapping> current_;
    std::string last_error_;

    std::stop_source stop_;
    std::thread thread_;
};

}  // namespace meshcall

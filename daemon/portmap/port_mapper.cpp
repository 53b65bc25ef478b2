// PortMapper: map, renew, retry and remove on the `portmap` thread.
#include "daemon/portmap/port_mapper.hpp"

#include <algorithm>

#include "daemon/util/log.hpp"
#include "daemon/util/thread_entry.hpp"
#include "nat/duration_text.hpp"

namespace meshcall {

namespace {
using Clock = std::chrono::steady_clock;

// A router that grants a very short lifetime is still renewed no more than this often.
constexpr std::chrono::seconds kShortestRenewal{5};

// A wait with no end but stop (not time_point::max(): clock conversions overflow on it).
Clock::time_point forever() {
    return Clock::now() + std::chrono::hours(24 * 365);
}

bool same_mapping(const PortMapping& a, const PortMapping& b) {
    return a.external == b.external && a.via == b.via && a.gateway == b.gateway;
}
}  // namespace

PortMapper::PortMapper(Timing timing) : timing_(timing) {
    owner_.bind();
}

PortMapper::~PortMapper() {
    stop();
}

void PortMapper::start(uint16_t internal_port) {
    MESHCALL_ASSERT_THREAD(owner_);
    if (thread_.joinable() || stop_.stop_requested()) return;
    std::stop_token token = stop_.get_token();
    thread_ = std::thread([this, internal_port, token] {
        run_thread("portmap", [&] { run(internal_port, token); });
    });
}

void PortMapper::stop() {
    MESHCALL_ASSERT_THREAD(owner_);
    // Wakes the thread's sleep too (condition_variable_any waits on the stop token).
    stop_.request_stop();
    if (thread_.joinable()) thread_.join();
}

std::optional<PortMapping> PortMapper::current() const {
    std::lock_guard lock(mutex_);
    return current_;
}

std::string PortMapper::last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
}

void PortMapper::publish(const std::optional<PortMapping>& mapping, const std::string& error) {
    std::lock_guard lock(mutex_);
    current_ = mapping;
    last_error_ = error;
}

bool PortMapper::sleep_until(Clock::time_point until, const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    return !wake_.wait_until(lock, stop, until, [] { return false; }) && !stop.stop_requested();
}

PortMappingAttempt PortMapper::attempt(uint16_t port, const std::optional<PortMapping>& held,
                                       const std::stop_token& stop) {
    if (!held) return map_udp_port(port, timing_.lifetime_s, timing_.attempt, stop);
    PortMappingAttempt renewed =
        renew_udp_port(*held, port, timing_.lifetime_s, timing_.attempt, stop);
    if (renewed.mapping || stop.stop_requested()) return renewed;
    spdlog::debug("renewing the port mapping {} failed ({}); mapping afresh", describe(*held),
                  renewed.error);
    return map_udp_port(port, timing_.lifetime_s, timing_.attempt, stop);
}

void PortMapper::run(uint16_t port, std::stop_token stop) {
    std::optional<PortMapping> held;
    int failures = 0;
    while (!stop.stop_requested()) {
        PortMappingAttempt a = attempt(port, held, stop);
        Clock::time_point next;
        if (a.mapping) {
            if (!held || !same_mapping(*held, *a.mapping))
                spdlog::info("mapped UDP port {} on the router: external {} ({})", port,
                             a.mapping->external.to_string(), a.mapping->via);
            else
                spdlog::debug("renewed the port mapping {} for {} s", describe(*a.mapping),
                              a.mapping->lifetime_s);
            held = a.mapping;
            failures = 0;
            publish(held, {});
            if (held->lifetime_s == 0) {
                next = forever();  // kept until removed: nothing to renew
            } else {
                next = Clock::now() +
                       std::max<std::chrono::seconds>(std::chrono::seconds(held->lifetime_s / 2),
                                                      kShortestRenewal);
            }
        } else {
            if (stop.stop_requested()) break;
            held.reset();
            publish(std::nullopt, a.error);
            ++failures;
            if (failures > timing_.retries) {
                spdlog::debug("no port mapping for UDP {} ({}); giving up after {} attempts", port,
                              a.error, failures);
                next = forever();
            } else {
                spdlog::debug("no port mapping for UDP {} ({}); trying again in {}", port, a.error,
                              duration_text(timing_.retry_after));
                next = Clock::now() + timing_.retry_after;
            }
        }
        if (!sleep_until(next, stop)) break;
    }
    if (!held) return;
    std::string why;
    if (unmap_udp_port(*held, port, timing_.removal, &why))
        spdlog::debug("removed the port mapping {}", describe(*held));
    else if (held->lifetime_s)
        spdlog::debug("could not remove the port mapping {} ({}); the router drops it within {} s",
                      describe(*held), why, held->lifetime_s);
    else  // a router that keeps mappings until removed: worth a line without -vv
        spdlog::warn(
            "could not remove the port mapping {} ({}); this router keeps it until it is "
            "removed in its settings",
            describe(*held), why);
    publish(std::nullopt, {});
}

}  // namespace meshcall

// Logging: spdlog set-up, per-thread roles, FFmpeg log forwarding.
#include "daemon/util/log.hpp"

#include <pthread.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdio>

extern "C" {
#include <libavutil/log.h>
}

namespace meshcall {

namespace {

thread_local std::string t_role = "main";

class RoleFlag : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg&, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        dest.append(t_role.data(), t_role.data() + t_role.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<RoleFlag>();
    }
};

void av_log_forward(void* avcl, int level, const char* fmt, va_list vl) {
    if (level > av_log_get_level()) return;
    char line[1024];
    int print_prefix = 1;
    av_log_format_line2(avcl, level, fmt, vl, line, sizeof line, &print_prefix);
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.empty()) return;
    // FFmpeg's errors on the media path (a corrupt slice after loss, say) are routine for a call:
    // they are counted in status; the log shows them only with -v.
    if (level <= AV_LOG_WARNING)
        spdlog::info("ffmpeg: {}", text);
    else if (level <= AV_LOG_VERBOSE)
        spdlog::debug("ffmpeg: {}", text);
    else
        spdlog::trace("ffmpeg: {}", text);
}

}  // namespace

void init_logging(int verbosity) {
    auto logger = spdlog::stderr_color_mt("meshcall");
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<RoleFlag>('R').set_pattern("[%H:%M:%S.%e] [%^%l%$] [%R] %v");
    logger->set_formatter(std::move(formatter));
    spdlog::set_default_logger(logger);
    spdlog::level::level_enum level = spdlog::level::warn;
    int av_level = AV_LOG_ERROR;
    if (verbosity == 1) {
        level = spdlog::level::info;
        av_level = AV_LOG_WARNING;
    } else if (verbosity == 2) {
        level = spdlog::level::debug;
        av_level = AV_LOG_VERBOSE;
    } else if (verbosity >= 3) {
        level = spdlog::level::trace;
        av_level = AV_LOG_DEBUG;
    }
    spdlog::set_level(level);
    spdlog::flush_on(spdlog::level::info);
    av_log_set_level(verbosity == 0 ? AV_LOG_QUIET : av_level);
    av_log_set_callback(av_log_forward);
}

void set_thread_role(const std::string& role) {
    t_role = role;
    pthread_setname_np(pthread_self(), role.substr(0, 15).c_str());
}

}  // namespace meshcall

// meshcall-bench-aec: the microphone's echo canceller (WebRTC APM, daemon/audio/webrtc_processor)
// on synthetic calls (bench/aec/scenario.hpp): per scenario, ERLE 0.5/1/2 s after the start and
// steady, the near talker's level change in double talk and alone, and the CPU per second of
// sound. --json for one JSON object instead of the table. docs/benchmarks.md, "Echo cancellation".
#include <cstdio>
#include <exception>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/aec/scenario.hpp"
#include "bench/cli.hpp"

int main(int argc, char** argv) {
    using namespace meshcall;
    using namespace meshcall::aec_bench;
    CLI::App app{"meshcall-bench-aec: echo cancellation on synthetic calls"};
    bool json = false, no_aec = false, no_agc = false;
    std::string only;
    RunOptions run;
    app.add_flag("--json", json, "print one JSON object");
    app.add_flag("--no-aec", no_aec, "echo cancellation off (the echo left, for comparison)");
    app.add_flag("--no-agc", no_agc,
                 "gain control off in the CPU run too (ERLE and near-end runs always have it off)");
    app.add_option("--scenario", only, "run only this scenario");
    app.add_option("--hint-ms", run.hint_ms, "delay hint given to the canceller (default: the true delay)");
    app.add_option("--delay-scale", run.tuning.delay_scale, "stream delay = hint * scale + offset");
    app.add_option("--delay-offset", run.tuning.delay_offset_ms, "stream delay = hint * scale + offset");
    app.add_option("--suppression", run.tuning.suppression, "AEC suppression: 0 low, 1 moderate, 2 high");
    app.add_option("--noise-level", run.tuning.noise_level, "noise suppression: 0 low .. 3 very high");
    if (auto status = bench::parse_cli(app, argc, argv)) return *status;
    run.processing.echo_cancellation = !no_aec;

    try {
        nlohmann::json all = nlohmann::json::array();
        if (!json)
            std::printf("%-14s %7s %7s %7s %8s %8s %9s %9s %7s %6s %9s\n", "scenario", "ERLE0.5",
                        "ERLE1", "ERLE2", "ERLE>2s", "steady", "near-DT", "near-only", "CPU%",
                        "delay", "apm-ERLE");
        for (const auto& s : standard_scenarios()) {
            if (!only.empty() && s.name != only) continue;
            const ScenarioResult r = run_scenario(s, run);
            // The CPU of the chain the daemon runs: gain control on unless --no-agc.
            AudioProcessingOptions full = run.processing;
            full.gain_control = !no_agc;
            const ScenarioSignals sig = make_signals(s);
            auto processor = make_webrtc_processor(full, run.tuning);
            double cpu = 0;
            const int hint = run.hint_ms >= 0 ? run.hint_ms : s.path.delay_ms;
            const Signal out = run_processor(*processor, sig.far, sig.mic(), hint, &cpu);
            const double cpu_percent = 100 * cpu / (static_cast<double>(out.size()) / AudioProcessor::kRate);
            if (json) {
                all.push_back({{"scenario", r.name},
                               {"erle_0_5s_db", r.erle_05_db},
                               {"erle_1s_db", r.erle_1_db},
                               {"erle_2s_db", r.erle_2_db},
                               {"erle_after_2s_db", r.erle_after_2s_db},
                               {"erle_steady_db", r.erle_steady_db},
                               {"near_double_talk_db", r.near_double_talk_db},
                               {"near_alone_db", r.near_alone_db},
                               {"cpu_percent", cpu_percent},
                               {"apm_erle_db", r.stats.erle_db},
                               {"apm_delay_ms", r.stats.delay_ms},
                               {"apm_poor_delays", r.stats.poor_delays}});
            } else {
                std::printf("%-14s %7.1f %7.1f %7.1f %8.1f %8.1f %9.2f %9.2f %7.2f %6d %9.1f\n",
                            r.name.c_str(), r.erle_05_db, r.erle_1_db, r.erle_2_db,
                            r.erle_after_2s_db, r.erle_steady_db, r.near_double_talk_db,
                            r.near_alone_db, cpu_percent, r.stats.delay_ms, r.stats.erle_db);
                std::fflush(stdout);
            }
        }
        if (json) std::printf("%s\n", nlohmann::json{{"scenarios", all}}.dump(2).c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "meshcall-bench-aec: %s\n", e.what());
        return 1;
    }
    return 0;
}

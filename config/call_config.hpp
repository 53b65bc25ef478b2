// CallConfig: everything one participant's call needs, resolved once from the command line,
// the profile and the room file, then passed by const& and never changed.
#pragma once

#include <optional>
#include <string>

#include "config/room.hpp"
#include "config/source.hpp"

namespace meshcall {

// What the command line said (empty / nullopt: not given).
struct CallArgs {
    std::string room_path;
    std::string as;
    std::string video;
    std::string audio;
    std::string control;
    std::string profile_path;   // empty: the default profile path
    std::string key_path;       // --key PATH; empty: default_key_path()
    std::string snapshot;       // --snapshot PATH.png
    double snapshot_every = 1;  // --snapshot-every SECONDS
    std::string record_mix;     // --record-mix PATH.wav
    std::string record;         // --record DIR
    std::string speaker;           // --speaker NAME: a PulseAudio sink
    std::string audio_processing;  // --audio-processing on|off; empty: the default
    bool headless = false;
    int verbosity = 0;
};

struct CallConfig {
    Room room;
    std::string room_label;  // the room file's name, for messages
    int self = -1;           // index of "me" in room.peers
    VideoSource video;
    AudioSource audio;
    std::string control_path;   // empty: the default for the room
    std::string snapshot_path;  // empty: no periodic snapshot
    double snapshot_every = 1;  // seconds
    std::string record_mix_path;
    std::string record_dir;  // --record, made absolute; empty: not recording from the start
    // The PulseAudio sink the mix plays on (even when headless); empty: SDL's default device.
    std::string speaker;
    // The microphone clean-up (echo cancellation, noise suppression, gain): --audio-processing,
    // by default on for a real microphone and off for test sources.
    bool audio_processing = false;
    bool headless = false;
    int verbosity = 0;
    // This user's X25519 secret key: set only in a "keys" room, and then it belongs to me()
    // (its public key is me().public_key).
    std::optional<Key32> private_key;
    // STUN servers to ask for this participant's public endpoint: the room file's, else the
    // profile's (none by default).
    std::vector<StunServer> stun;

    const PeerEntry& me() const { return room.peers[static_cast<std::size_t>(self)]; }
};

// Command line over profile over defaults. Throws ConfigError.
CallConfig resolve_call_config(const CallArgs& args);

}  // namespace meshcall

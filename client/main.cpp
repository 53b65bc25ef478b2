// meshcall: the command-line client (check a room, join a call, drive a running call).
#include <CLI/CLI.hpp>

#include "client/check.hpp"
#include "client/commands.hpp"
#include "client/demo.hpp"
#include "client/devices.hpp"
#include "client/invite.hpp"
#include "client/join.hpp"
#include "client/keygen.hpp"
#include "client/new_room.hpp"
#include "config/call_args.hpp"
#include "protocol/exit_codes.hpp"

int main(int argc, char** argv) {
    using namespace meshcall;
    CLI::App app{
        "meshcall: multi-party video calls with no server.\n\n"
        "Exit status: 0 ok, 1 runtime failure, 2 usage or configuration error,\n"
        "3 no such call.",
        "meshcall"};
    app.set_version_flag("--version", "meshcall " MESHCALL_VERSION);
    app.require_subcommand(1);

    std::string check_room, check_as;
    auto* check = app.add_subcommand("check", "Validate a room file and show the call");
    check->add_option("ROOM", check_room, "The room file (JSON)")->required();
    check->add_option("--as", check_as, "See the call as this peer");
    bool check_probe = false;
    check->add_flag("--probe", check_probe,
                    "Also ask the home router (NAT-PMP, then UPnP) to forward the --as peer's UDP "
                    "port for 60 s and print the external endpoint it gives (removed again "
                    "before exiting; at most ~4 s)");

    CallArgs join_args;
    auto* join = app.add_subcommand("join", "Join a call in the foreground (Ctrl-C leaves)");
    join->add_option("ROOM", join_args.room_path, "The room file (JSON)")
        ->required()
        ->check(CLI::ExistingFile);
    add_call_options(*join, join_args);

    CallTarget target;
    auto add_target = [&](CLI::App* sub) {
        sub->add_option("--room", target.room, "The call's room name");
        sub->add_option("--control", target.control, "The call's control socket");
    };
    bool json = false;
    auto* status = app.add_subcommand("status", "Show the peers of a running call");
    add_target(status);
    status->add_flag("--json", json, "Print the daemon's JSON reply");

    std::string what = "audio";
    auto* mute = app.add_subcommand("mute", "Mute your microphone or video (default: audio)");
    auto* unmute = app.add_subcommand("unmute", "Unmute your microphone or video (default: audio)");
    for (auto* sub : {mute, unmute}) {
        sub->add_option("WHAT", what, "audio | video | all")
            ->check(CLI::IsMember({"audio", "video", "all"}));
        add_target(sub);
    }
    auto* leave = app.add_subcommand("leave", "Leave a running call");
    add_target(leave);
    std::string focus_peer;
    auto* focus = app.add_subcommand(
        "focus", "Show one peer's picture alone, at its full size (no NAME: back to the grid)");
    focus->add_option("NAME", focus_peer, "The peer to show");
    add_target(focus);
    std::string record_dir;
    bool record_stop = false;
    auto* record = app.add_subcommand(
        "record",
        "Record the call: each peer's stream as it came (DIR/NAME.ts) and the mix (DIR/mix.wav)");
    auto* record_dir_option = record->add_option(
        "DIR", record_dir, "Where (created if need be; default: ./meshcall-DATE-TIME)");
    record->add_flag("--stop", record_stop, "Stop the recording")->excludes(record_dir_option);
    add_target(record);
    auto* list = app.add_subcommand("list", "List the calls running as you");

    std::string invite_room, invite_as;
    bool invite_json = false;
    auto* invite = app.add_subcommand(
        "invite",
        "Print a guest's stock commands: for a \"viewer\" ffplay/mpv per peer and a one-window "
        "ffmpeg grid, for a \"sender\" an ffmpeg camera+microphone sender per platform "
        "(docs/guests.md)");
    invite->add_option("ROOM", invite_room, "The room file (JSON)")->required();
    invite
        ->add_option("--as", invite_as, "The guest: a peer with \"role\": \"viewer\" or \"sender\"")
        ->required();
    invite->add_flag("--json", invite_json, "Print the commands as argv arrays (JSON)");

    int demo_peers = 4;
    double demo_seconds = 10;
    auto* demo = app.add_subcommand("demo", "An N-party call on this machine with test sources");
    demo->add_option("--peers", demo_peers, "Participants (2-16, default 4)")
        ->check(CLI::Range(2, 16));
    demo->add_option("--seconds", demo_seconds, "How long the call lasts (default 10)")
        ->check(CLI::Range(1.0, 3600.0));

    KeygenArgs keygen_args;
    auto* keygen = app.add_subcommand(
        "keygen",
        "Make your private key for \"keys\" rooms and print its public key (your entry's "
        "\"public_key\")");
    keygen->add_option("--key", keygen_args.key_path,
                       "Where the private key goes (default: "
                       "$XDG_CONFIG_HOME/meshcall/private_key)");
    auto* keygen_force =
        keygen->add_flag("--force", keygen_args.force, "Replace a private key already there");
    keygen->add_flag("--show", keygen_args.show, "Print the public key of the key already there")
        ->excludes(keygen_force);

    NewRoomArgs new_room_args;
    auto* new_room = app.add_subcommand(
        "new-room", "Write a room file (mode 0600) with a fresh secret; `meshcall check` it next");
    new_room->add_option("FILE", new_room_args.path, "The room file to write")->required();
    new_room->add_option("--room", new_room_args.room, "The room's name")->required();
    new_room
        ->add_option("--peer", new_room_args.peers,
                     "A participant: NAME=HOST:PORT (IPv6: NAME=[::1]:41310); repeat for each")
        ->required()
        ->allow_extra_args(false);
    new_room
        ->add_option("--viewer", new_room_args.viewers,
                     "A stock player: NAME=HOST:PORT (receives peers[k] at PORT + k)")
        ->allow_extra_args(false);
    new_room->add_option("--sender", new_room_args.senders, "A stock ffmpeg sender: NAME=HOST:PORT")
        ->allow_extra_args(false);
    new_room
        ->add_option("--security", new_room_args.security,
                     "room (one shared secret, the default) | keys (a key pair each) | none")
        ->check(CLI::IsMember({"room", "keys", "none"}));
    new_room->add_flag("--force", new_room_args.force, "Replace a file already there");

    bool devices_json = false;
    auto* devices = app.add_subcommand(
        "devices", "List the microphones, speakers and cameras (the names --audio mic:NAME, "
                   "--speaker NAME and --video camera:PATH take)");
    devices->add_flag("--json", devices_json, "One JSON object");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : kExitUsage;
    }
    if (*check) return run_check(check_room, check_as, check_probe);
    if (*join) return run_join(join_args);
    if (*status) return run_status(target, json);
    if (*mute) return run_mute(target, what, true);
    if (*unmute) return run_mute(target, what, false);
    if (*leave) return run_leave(target);
    if (*focus) return run_focus(target, focus_peer);
    if (*record) return run_record(target, record_dir, record_stop);
    if (*list) return run_list();
    if (*invite) return run_invite(invite_room, invite_as, invite_json);
    if (*demo) return run_demo(demo_peers, demo_seconds);
    if (*keygen) return run_keygen(keygen_args);
    if (*new_room) return run_new_room(new_room_args);
    if (*devices) return run_devices(devices_json);
    return kExitUsage;
}

#include "ctl/top_screen.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <optional>

#include "core/clock.h"
#include "core/text.h"
#include "ctl/top_view.h"

namespace jmem::ctl {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Redrawn at least this often when nothing is announced: a process can come and go without moving
// any announced figure by its step.
constexpr std::chrono::seconds kQuietRedraw{5};
// How long the live screen waits for one answer of jmemd's before it shows the wait instead.
constexpr std::chrono::seconds kLiveCallTimeout{2};
// Header lines and the column titles above the rows.
constexpr std::size_t kHeaderLines = 6;

TopSnapshot fetch(GovernorClient& client, const TopView& view) {
  TopSnapshot s;
  s.info = client.info();
  s.system = client.system();
  s.throttle = client.throttleState();
  s.room = client.headroom();
  bool units_cut = false;
  bool processes_cut = false;
  s.units = client.units(0, view.sort, &units_cut);
  if (!view.units_only) s.processes = client.processes(0, view.sort, &processes_cut);
  s.truncated = units_cut || processes_cut;
  s.now_usec = realtimeUsec();
  return s;
}

// The terminal in the live screen's mode while it lives: keys unbuffered and unechoed, the
// alternate screen, no cursor; all put back when it ends, however top ends.
class LiveTerminal {
 public:
  LiveTerminal() {
    tcgetattr(STDIN_FILENO, &saved_);
    termios raw = saved_;
    // No ISIG: Ctrl-C arrives as a key and quits like q, Ctrl-\ and Ctrl-Z do nothing; no signal from
    // the keyboard can end jmemctl with the terminal left raw.
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ISIG);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    std::cout << "\x1b[?1049h\x1b[?25l" << std::flush;
  }
  ~LiveTerminal() {
    std::cout << "\x1b[?25h\x1b[?1049l" << std::flush;
    tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  LiveTerminal(const LiveTerminal&) = delete;
  LiveTerminal& operator=(const LiveTerminal&) = delete;

 private:
  termios saved_{};
};

std::pair<std::size_t, std::size_t> terminalSize() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0 || size.ws_row == 0) return {24, 80};
  return {size.ws_row, size.ws_col};
}

// The view the options ask for; the live screen's keys change it from there.
TopView viewOf(const CtlOptions& options) {
  TopView view;
  view.sort = options.sort;
  view.units_only = options.units;
  view.full_command = options.full;
  return view;
}

// How often a frame may be drawn: jmemd's tick, and never more than ten times a second.
std::chrono::milliseconds redrawEvery(GovernorClient& client) {
  const auto tick = std::chrono::milliseconds(client.info().sample_interval_usec / 1000);
  return std::max(tick, std::chrono::milliseconds(100));
}

std::string jsonSnapshot(GovernorClient& client, const CtlOptions& options) {
  if (options.units)
    return jsonText(renderUnitsJson(client.units(options.limit, options.sort)), options.json_short);
  bool truncated = false;
  const auto processes = client.processes(options.limit, options.sort, &truncated);
  // On stderr, so that --json stays one document.
  if (truncated) {
    std::cerr << "jmemctl: only the first " << processes.size()
              << " rows: jmemd bounds each reply to 4 MiB; ask for fewer with --lines\n";
  }
  return jsonText(renderProcessesJson(processes), options.json_short);
}

// Snapshots as `top -b` prints them: -n of them (1 by default, 0 until interrupted), the next once
// jmemd announced a change and a tick has passed, or kQuietRedraw passed.
int runSnapshots(GovernorClient& client, const CtlOptions& options, const Style& style) {
  TopView view = viewOf(options);
  view.rows = options.limit == 0 ? static_cast<std::size_t>(-1) : options.limit;
  view.header = style.legend;
  const std::uint32_t wanted = options.iterations.value_or(1);
  std::uint32_t printed = 0;
  auto print = [&] {
    if (printed > 0 && !options.json) std::cout << '\n';
    if (options.json) {
      std::cout << jsonSnapshot(client, options);
    } else {
      const TopSnapshot snapshot = fetch(client, view);
      for (const auto& line : renderTopFrame(snapshot, view, style)) std::cout << line << '\n';
      // On stderr too, where a script looks for it.
      if (snapshot.truncated)
        std::cerr << "jmemctl: the list was cut short: jmemd bounds each reply to 4 MiB; ask for fewer with "
                     "--lines\n";
    }
    std::cout << std::flush;
    return ++printed != wanted;
  };
  if (!print()) return kExitOk;
  bool changed = false;
  auto last = SteadyClock::now();
  MonitorHandlers handlers;
  handlers.properties_changed = [&](const sdbus_compat::PropertyMap&) { changed = true; };
  handlers.action_taken = [&](const std::string&, const std::string&, const std::string&) { changed = true; };
  handlers.wake_every = redrawEvery(client);
  handlers.wake = [&] {
    if (!changed && SteadyClock::now() - last < kQuietRedraw) return true;
    changed = false;
    last = SteadyClock::now();
    return print();
  };
  return client.watch(std::move(handlers));
}

int runLive(GovernorClient& client, const CtlOptions& options, const Style& style) {
  TopView view = viewOf(options);
  const auto redraw_every =
      redrawEvery(client);  // asked before the screen changes: a jmemd not running is an error
  // A jmemd that does not answer is waited for like one gone, without holding the keys for 25 s.
  client.setCallTimeout(kLiveCallTimeout);
  // SIGTERM before the screen is set up is held until watch() reads it: the terminal is always put back.
  sigset_t held;
  sigemptyset(&held);
  for (const int signal : {SIGINT, SIGTERM, SIGHUP, SIGWINCH}) sigaddset(&held, signal);
  sigprocmask(SIG_BLOCK, &held, nullptr);
  LiveTerminal terminal;
  std::string problem;               // why the last fetch failed: jmemd gone, say
  std::optional<TopSnapshot> shown;  // keys and resizes redraw it without asking jmemd again
  bool dirty = true;
  auto last = SteadyClock::now() - kQuietRedraw;
  auto draw = [&](bool refetch) {
    const auto [height, width] = terminalSize();
    view.width = width;
    const std::size_t room = height > kHeaderLines + 1 ? height - kHeaderLines - 1 : 1;
    view.rows = options.limit_given && options.limit != 0 ? std::min<std::size_t>(options.limit, room) : room;
    std::vector<std::string> lines;
    if (refetch || !shown) {
      try {
        TopView every = view;
        every.units_only = false;  // processes too, so that u can show them without asking again
        shown = fetch(client, every);
        problem.clear();
      } catch (const sdbus::Error& error) {
        problem = describeError(error).message;
      }
    }
    if (shown) lines = renderTopFrame(*shown, view, style);
    if (!problem.empty()) lines = {"jmemctl: " + terminalSafe(problem), "Waiting for jmemd; q quits."};
    std::string frame = "\x1b[H";
    for (std::size_t i = 0; i < lines.size() && i < height; ++i)
      frame += lines[i] + "\x1b[K" + (i + 1 < height ? "\n" : "");
    std::cout << frame << "\x1b[J" << std::flush;
    dirty = false;
    last = SteadyClock::now();
  };
  MonitorHandlers handlers;
  handlers.properties_changed = [&](const sdbus_compat::PropertyMap&) { dirty = true; };
  handlers.action_taken = [&](const std::string&, const std::string&, const std::string&) { dirty = true; };
  handlers.pressure_level_changed = [&](const std::string&, std::uint32_t, std::uint32_t) { dirty = true; };
  handlers.governor_gone = [&] { dirty = true; };
  handlers.governor_back = [&] { dirty = true; };
  handlers.wait_for_return = true;
  handlers.resized = [&] { draw(false); };
  handlers.input_fd = STDIN_FILENO;
  handlers.input_ready = [&] {
    char keys[32];
    const ssize_t got = read(STDIN_FILENO, keys, sizeof keys);
    if (got <= 0) return false;  // the terminal went away
    for (ssize_t i = 0; i < got; ++i) {
      const char key = keys[i];
      if (key == 'q' || key == 'Q' || key == '\x03') return false;  // \x03: Ctrl-C
      if (const auto sort = sortKeyOfKey(key)) view.sort = *sort;
      if (key == 'u') view.units_only = !view.units_only;
      if (key == 'f') view.full_command = !view.full_command;
    }
    draw(false);
    return true;
  };
  handlers.wake_every = redraw_every;
  handlers.wake = [&] {
    if (dirty || SteadyClock::now() - last >= kQuietRedraw) draw(true);
    return true;
  };
  draw(true);
  return client.watch(std::move(handlers));
}

}  // namespace

int runTopScreen(GovernorClient& client, const CtlOptions& options, const Style& style) {
  const bool live =
      !options.batch && !options.json && !options.iterations && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
  return live ? runLive(client, options, style) : runSnapshots(client, options, style);
}

}  // namespace jmem::ctl

#pragma once

#include <systemd/sd-event.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "core/result.h"
#include "core/unique_fd.h"

namespace jmem {

// Runs what may block for long (calls to systemd and polkit) on a thread of its own, so that the event
// loop keeps sampling and acting whatever the bus's callers ask and however slow PID 1 answers. Jobs run
// one at a time, in the order posted. A job returns what the loop does with its answer; that runs on
// the loop's thread, woken through an eventfd. Jobs must not touch the loop's state: they get copies.
class Worker {
 public:
  using Then = std::function<void()>;  // on the loop's thread
  using Job = std::function<Then()>;   // on the worker's thread
  // What the loop does when a job threw instead of answering: every caller still gets an answer.
  using Failed = std::function<void(const std::string& why)>;

  static Result<std::unique_ptr<Worker>> start(sd_event* event, std::size_t max_queued);
  // Lets the thread finish its job for at most `stop_wait`; a job still blocked then is abandoned to
  // the process's exit (abandoned() says so), never waited for: SIGTERM must not wait on systemd.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // False when max_queued jobs already wait: the caller is told to come back later.
  bool post(Job job, Failed failed);
  // For the governor's own jobs (a new policy): never refused, so the loop never waits for room.
  void postAlways(Job job, Failed failed);
  std::size_t queued() const;
  static bool abandoned();

 private:
  struct Shared {
    std::mutex mutex;
    std::condition_variable wake;
    std::condition_variable stopped_cv;
    std::deque<std::pair<Job, Failed>> jobs;
    std::deque<Then> done;
    std::size_t running = 0;
    bool stop = false;
    bool stopped = false;
    UniqueFd eventfd;  // closed with the last holder of the shared state
  };

  Worker(sd_event* event, std::size_t max_queued);
  static void loop(std::shared_ptr<Shared> shared);
  static int onDone(sd_event_source* source, int fd, uint32_t revents, void* userdata);

  sd_event* event_;
  std::size_t max_queued_;
  std::shared_ptr<Shared> shared_;
  sd_event_source* source_ = nullptr;
  std::thread thread_;
};

}  // namespace jmem

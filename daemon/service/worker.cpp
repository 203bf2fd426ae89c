#include "service/worker.h"

#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>

namespace jmem {
namespace {

constexpr auto kStopWait = std::chrono::milliseconds(1000);
std::atomic<bool> g_abandoned{false};

}  // namespace

Result<std::unique_ptr<Worker>> Worker::start(sd_event* event, std::size_t max_queued) {
  std::unique_ptr<Worker> worker(new Worker(event, max_queued));
  worker->shared_->eventfd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!worker->shared_->eventfd)
    return Error{std::string("Failed to create the worker's eventfd: ") + std::strerror(errno), errno};
  const int fd = worker->shared_->eventfd.get();
  if (int r = sd_event_add_io(event, &worker->source_, fd, EPOLLIN, onDone, worker.get()); r < 0)
    return Error{std::string("Failed to watch the worker: ") + std::strerror(-r), -r};
  sd_event_source_set_description(worker->source_, "worker-done");
  worker->thread_ = std::thread(loop, worker->shared_);
  return worker;
}

Worker::Worker(sd_event* event, std::size_t max_queued)
    : event_(event), max_queued_(max_queued), shared_(std::make_shared<Shared>()) {}

Worker::~Worker() {
  source_ = sd_event_source_disable_unref(source_);
  if (!thread_.joinable()) return;
  std::unique_lock lock(shared_->mutex);
  shared_->stop = true;
  shared_->jobs.clear();
  shared_->wake.notify_all();
  if (shared_->stopped_cv.wait_for(lock, kStopWait, [this] { return shared_->stopped; })) {
    lock.unlock();
    thread_.join();
    return;
  }
  // The thread keeps what it uses (the shared state and what its job captured) until the process ends.
  g_abandoned = true;
  lock.unlock();
  thread_.detach();
}

bool Worker::abandoned() {
  return g_abandoned;
}

bool Worker::post(Job job, Failed failed) {
  std::lock_guard lock(shared_->mutex);
  if (shared_->jobs.size() >= max_queued_) return false;
  shared_->jobs.emplace_back(std::move(job), std::move(failed));
  shared_->wake.notify_one();
  return true;
}

void Worker::postAlways(Job job, Failed failed) {
  std::lock_guard lock(shared_->mutex);
  shared_->jobs.emplace_back(std::move(job), std::move(failed));
  shared_->wake.notify_one();
}

std::size_t Worker::queued() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->jobs.size() + shared_->running;
}

void Worker::loop(std::shared_ptr<Shared> shared) {
  std::unique_lock lock(shared->mutex);
  while (true) {
    shared->wake.wait(lock, [&] { return shared->stop || !shared->jobs.empty(); });
    if (shared->stop) break;
    auto [job, failed] = std::move(shared->jobs.front());
    shared->jobs.pop_front();
    shared->running = 1;
    lock.unlock();
    Then then;
    std::string why;
    try {
      then = job();
    } catch (const std::exception& e) {  // a job's own failure stays its own: the worker goes on
      why = e.what();
    } catch (...) {
      why = "an unknown exception";
    }
    if (!why.empty() && failed)
      then = [failed = std::move(failed), why] { failed("a background job failed: " + why); };
    job = nullptr;
    lock.lock();
    shared->running = 0;
    if (then) {
      shared->done.push_back(std::move(then));
      const std::uint64_t one = 1;
      [[maybe_unused]] auto written = ::write(shared->eventfd.get(), &one, sizeof one);
    }
  }
  shared->done.clear();
  shared->stopped = true;
  shared->stopped_cv.notify_all();
}

int Worker::onDone(sd_event_source*, int fd, uint32_t, void* userdata) {
  auto* self = static_cast<Worker*>(userdata);
  std::uint64_t count = 0;
  [[maybe_unused]] auto drained = ::read(fd, &count, sizeof count);
  std::deque<Then> done;
  {
    std::lock_guard lock(self->shared_->mutex);
    done.swap(self->shared_->done);
  }
  for (auto& then : done) then();
  return 0;
}

}  // namespace jmem

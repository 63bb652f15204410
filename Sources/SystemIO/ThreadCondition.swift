#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex and a condition variable that waits on it: what a queue between threads
/// (``Handoff``, ``Broadcast``) locks its state with and sleeps on until it changes.
///
/// Allocated once, so their addresses never move (pthread objects must not be copied).
///
/// ```swift
/// condition.lock()
/// while queue.isEmpty { condition.wait() }
/// condition.broadcast()
/// condition.unlock()
/// ```
final class ThreadCondition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    /// Sleeps until a ``broadcast()`` (the mutex held before and after).
    func wait() { pthread_cond_wait(changed, mutex) }
    /// Wakes every thread waiting.
    func broadcast() { pthread_cond_broadcast(changed) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex and condition variables that wait on it: what a queue between threads
/// (``Handoff``, ``SharedReads``) locks its state with and sleeps on until it changes.
///
/// A queue whose producer and readers wait for different things (room, items) gives each its
/// own condition, so that waking one side does not wake the other for nothing.
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
    private let conditions: UnsafeMutablePointer<pthread_cond_t>
    private let count: Int

    /// A mutex with `conditions` conditions on it, numbered from 0.
    init(conditions: Int = 1) {
        precondition(conditions >= 1)
        count = conditions
        self.conditions = .allocate(capacity: conditions)
        pthread_mutex_init(mutex, nil)
        for index in 0..<conditions { pthread_cond_init(self.conditions + index, nil) }
    }

    deinit {
        for index in 0..<count { pthread_cond_destroy(conditions + index) }
        pthread_mutex_destroy(mutex)
        conditions.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    /// Sleeps until a ``broadcast(_:)`` of `condition` (the mutex held before and after).
    func wait(_ condition: Int = 0) { pthread_cond_wait(conditions + condition, mutex) }
    /// Wakes every thread waiting on `condition`.
    func broadcast(_ condition: Int = 0) { pthread_cond_broadcast(conditions + condition) }
}

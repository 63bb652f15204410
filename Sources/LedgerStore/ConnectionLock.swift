#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serializes the use of one SQLite connection by the threads of a fold.
///
/// A catch-up or rebuild folds its projections in two lanes on two threads (each projection's
/// events in order, on one of them), and both write their tables in the command's one
/// transaction, so on one connection: every statement a lane runs on it runs under this lock.
/// Folds spend a few percent of their time in SQLite, so the lanes rarely wait.
///
/// ```swift
/// let row = try lock.run { try statement.step() ? values(statement) : nil }
/// ```
final class ConnectionLock: @unchecked Sendable {
    /// Allocated once, so its address never moves.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` holding the lock.
    func run<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

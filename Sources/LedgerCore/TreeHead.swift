/// A tree head: the size of the log and the Merkle root over its first `size` events.
///
/// Two parties who agree on a tree head agree on every byte of those events
/// (RFC 9162 §2.1; the same shape as a transparency-log checkpoint).
public struct TreeHead: Sendable, Equatable, CustomStringConvertible {
    public var size: Int
    public var root: TreeHash

    public init(size: Int, root: TreeHash) {
        self.size = size
        self.root = root
    }

    public var description: String { "\(size) \(root.hex)" }
}

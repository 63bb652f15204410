/// Inclusion and consistency proofs of RFC 9162's Merkle tree: how they are made (§2.1.3.1,
/// §2.1.4.1) and checked (§2.1.3.2, §2.1.4.2).
///
/// Making a proof needs the hashes of some subtrees, `MTH(D[lo:hi])`; the ledger reads them
/// from what it stores (``Ledger/inclusionProof(index:size:)``), tests from a list of leaves.
/// Checking needs nothing but the proof, the leaf or old root, and the root it leads to, so an
/// auditor holding a checkpoint can check either proof without the ledger.
/// See <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3>.
///
/// ```swift
/// let proof = try ledger.inclusionProof(index: 41, size: head.size)
/// try MerkleProof.verifyInclusion(leaf: leafHash, index: 41, size: head.size, proof: proof, root: head.root)
/// ```
public enum MerkleProof {
    /// `PATH(m, D[n])`: the inclusion proof of leaf `index` (0-based) in the tree of `size`
    /// leaves, the leaf's sibling first. `subtree(lo, hi)` gives `MTH(D[lo:hi])`.
    ///
    /// - Precondition: `0 <= index < size`.
    public static func inclusionPath(index: Int, size: Int, subtree: (_ lo: Int, _ hi: Int) throws -> TreeHash) rethrows -> [TreeHash] {
        precondition(index >= 0 && index < size)
        var path: [TreeHash] = []
        var lo = 0, hi = size
        // From the root down; each step's sibling belongs nearer the end of the path.
        while hi - lo > 1 {
            let k = largestPowerOfTwo(below: hi - lo)
            if index < lo + k {
                path.append(try subtree(lo + k, hi))
                hi = lo + k
            } else {
                path.append(try subtree(lo, lo + k))
                lo += k
            }
        }
        return path.reversed()
    }

    /// `PROOF(m, D[n])`: the consistency proof from the tree of `from` leaves to the tree of
    /// `to` leaves, empty when the sizes are equal.
    ///
    /// - Precondition: `0 < from <= to`.
    public static func consistencyPath(from: Int, to: Int, subtree: (_ lo: Int, _ hi: Int) throws -> TreeHash) rethrows -> [TreeHash] {
        precondition(from > 0 && from <= to)
        // SUBPROOF(m, D[lo:hi], b), unrolled: the recursion only ever descends one side.
        var path: [TreeHash] = []
        var m = from, lo = 0, hi = to, whole = true
        while true {
            let n = hi - lo
            if m == n {
                if !whole { path.append(try subtree(lo, hi)) }
                break
            }
            let k = largestPowerOfTwo(below: n)
            if m <= k {
                path.append(try subtree(lo + k, hi))
                hi = lo + k
            } else {
                path.append(try subtree(lo, lo + k))
                m -= k
                lo += k
                whole = false
            }
        }
        return path.reversed()
    }

    /// Checks an inclusion proof (RFC 9162 §2.1.3.2).
    ///
    /// - Throws: ``LedgerError`` (`.verificationFailed`) saying what does not hold.
    public static func verifyInclusion(leaf: TreeHash, index: Int, size: Int, proof: [TreeHash], root: TreeHash) throws {
        guard index >= 0, index < size else {
            throw failure("leaf index \(index) is outside a tree of \(size) leaves")
        }
        var fn = index, sn = size - 1
        var hash = leaf
        for sibling in proof {
            guard sn != 0 else { throw failure("the inclusion proof has more hashes than a tree of \(size) leaves needs") }
            if fn & 1 == 1 || fn == sn {
                hash = MerkleTree.nodeHash(sibling, hash)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                hash = MerkleTree.nodeHash(hash, sibling)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw failure("the inclusion proof has fewer hashes than a tree of \(size) leaves needs") }
        guard hash == root else {
            throw failure("the inclusion proof of leaf \(index) leads to root \(hash.hex), not \(root.hex)")
        }
    }

    /// Checks a consistency proof (RFC 9162 §2.1.4.2): the tree of `size2` leaves with root
    /// `root2` extends the tree of `size1` leaves with root `root1`.
    ///
    /// As transparency-dev's verifier does, a first size of 0 is refused (any tree extends the
    /// empty one, so the claim says nothing), and equal sizes need an empty proof and equal roots.
    ///
    /// - Throws: ``LedgerError`` (`.verificationFailed`) saying what does not hold.
    public static func verifyConsistency(size1: Int, size2: Int, proof: [TreeHash], root1: TreeHash, root2: TreeHash) throws {
        guard size1 > 0 else { throw failure("a consistency proof from size 0 proves nothing") }
        guard size1 <= size2 else { throw failure("size \(size1) cannot be consistent with the smaller size \(size2)") }
        if size1 == size2 {
            guard proof.isEmpty else { throw failure("a consistency proof between equal sizes must be empty") }
            guard root1 == root2 else { throw failure("two different roots for the same size \(size1): \(root1.hex) and \(root2.hex)") }
            return
        }
        guard !proof.isEmpty else { throw failure("the consistency proof from \(size1) to \(size2) is empty") }
        var path = proof
        if size1 & (size1 - 1) == 0 { path.insert(root1, at: 0) }
        var fn = size1 - 1, sn = size2 - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var first = path[0], second = path[0]
        for hash in path.dropFirst() {
            guard sn != 0 else { throw failure("the consistency proof has more hashes than sizes \(size1) and \(size2) need") }
            if fn & 1 == 1 || fn == sn {
                first = MerkleTree.nodeHash(hash, first)
                second = MerkleTree.nodeHash(hash, second)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                second = MerkleTree.nodeHash(second, hash)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw failure("the consistency proof has fewer hashes than sizes \(size1) and \(size2) need") }
        guard first == root1 else { throw failure("the consistency proof does not lead to the root of size \(size1) (\(root1.hex))") }
        guard second == root2 else { throw failure("the consistency proof does not lead to the root of size \(size2) (\(root2.hex))") }
    }

    /// The root of the tree of the first `index` leaves, from a (verified) inclusion proof of
    /// leaf `index` in a tree of `size` leaves: the proof's left siblings are exactly the
    /// perfect subtrees that cover those leaves. What lets a bundle of part of a log show
    /// that a ledger holding the part before it is a prefix of the same tree.
    ///
    /// - Precondition: `0 < index < size`, and the proof verified.
    public static func prefixRoot(index: Int, size: Int, proof: [TreeHash]) -> TreeHash {
        var fn = index, sn = size - 1
        var left: [TreeHash] = []
        for sibling in proof where sn != 0 {
            if fn & 1 == 1 || fn == sn {
                left.append(sibling)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            }
            fn >>= 1
            sn >>= 1
        }
        // Folded right to left, smallest first, as a compact range's root is.
        guard var root = left.first else { return MerkleTree.emptyRoot }
        for hash in left.dropFirst() { root = MerkleTree.nodeHash(hash, root) }
        return root
    }

    /// The largest power of two strictly below `n` (n ≥ 2): RFC 9162's split point k.
    package static func largestPowerOfTwo(below n: Int) -> Int {
        1 << (Int.bitWidth - 1 - (n - 1).leadingZeroBitCount)
    }

    private static func failure(_ message: String) -> LedgerError {
        LedgerError(.verificationFailed, message)
    }
}

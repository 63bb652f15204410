import Events

/// An event as another ledger stored it, to be stored again byte for byte: its envelope and
/// the header fields read from it.
public struct StoredEnvelope {
    public var body: UnsafeRawBufferPointer
    public var header: StoredEnvelopeHeader
    public var leafHash: TreeHash

    public init(body: UnsafeRawBufferPointer, header: StoredEnvelopeHeader, leafHash: TreeHash) {
        self.body = body
        self.header = header
        self.leafHash = leafHash
    }
}

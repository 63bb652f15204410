extension Sequence<UInt8> {
    /// The bytes as lowercase hex, two digits each (digests in events and stream names).
    public var lowercaseHex: String {
        var out = [UInt8]()
        for byte in self {
            out.append(CanonicalJSON.hexDigit(byte >> 4))
            out.append(CanonicalJSON.hexDigit(byte & 0x0F))
        }
        return String(decoding: out, as: UTF8.self)
    }
}

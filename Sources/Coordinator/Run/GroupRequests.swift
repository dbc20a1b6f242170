/// What a group has been asked to do at the end of the current iteration. Every rank of a group
/// contributes its own requests to the iteration's all-reduce, so all of them learn the union
/// in the same iteration.
public struct GroupRequests: Equatable, Sendable {
    /// Stop this job (a `membrane cancel`, which reaches the group's leader).
    public var cancel = false
    /// Stop the whole run (a signal on any rank).
    public var stop = false

    public init(cancel: Bool = false, stop: Bool = false) {
        self.cancel = cancel
        self.stop = stop
    }
}

import TwoFactorStore

extension ManagedUser {
    /// Runs `body` with the user's lock held, creating the store first if it is missing,
    /// so reading the state, deciding and writing happen as one step, as in the module.
    ///
    /// With `storeOptional` (a non-root user in home mode), a store the invoker cannot
    /// write is skipped: `body` runs without the lock and receives false.
    func locked<Value>(storeOptional: Bool = false,
                       _ body: (_ storeUsable: Bool) throws(SetupFailure) -> Value) throws(SetupFailure) -> Value {
        do {
            try checkStoreWritable()
        } catch {
            guard storeOptional && homeMode && !invokerIsRoot else { throw error }
            return try body(false)
        }
        try createStore()
        let lock = try lock()
        defer { lock.release() }
        return try body(true)
    }
}

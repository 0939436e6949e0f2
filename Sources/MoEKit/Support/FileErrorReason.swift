//===--- FileErrorReason.swift - Why a file operation failed, briefly -----===//

import Foundation

/// The system's reason for a Foundation file error, in a few words ("no such file",
/// "permission denied", or the POSIX message), for one-line error messages.
func fileErrorReason(_ error: Error) -> String {
    let ns = error as NSError
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code)))
    }
    if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
    switch CocoaError.Code(rawValue: ns.code) {
    case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied"
    case .fileReadNoSuchFile, .fileNoSuchFile: return "no such file"
    case .fileWriteOutOfSpace: return "no space left on device"
    case .fileWriteVolumeReadOnly: return "read-only file system"
    default: return "error \(ns.code)"
    }
}

#pragma once
// Typed errors. Every error about user input says where: the file, the key path inside it
// (NetPyNE style, e.g. netParams.connParams.12.weight) and, where known, the line and column.
#include <atomic>
#include <cstddef>
#include <mutex>
#include <stdexcept>
#include <string>

namespace m1 {

struct source_location {
    std::string file;      // as the user named it
    std::string key_path;  // dotted path inside the file; empty for the file as a whole
    std::size_t line = 0;  // 1-based; 0 = unknown
    std::size_t column = 0;
};

// The user's input (model file, run configuration, sweep) is wrong.
class input_error : public std::runtime_error {
public:
    input_error(source_location where, const std::string& what);
    const source_location& where() const noexcept { return where_; }
    const std::string& reason() const noexcept { return reason_; }

private:
    source_location where_;
    std::string reason_;
};

// A string function (NetPyNE expression) does not parse or names something unknown. The model
// loader rethrows it as an input_error with the key path and line of the string.
class expression_error : public std::runtime_error {
public:
    expression_error(const std::string& what, std::size_t offset)
        : std::runtime_error(what), offset_(offset) {}
    std::size_t offset() const noexcept { return offset_; }  // 0-based character in the string

private:
    std::size_t offset_;
};

// The run could not be carried out (an output directory that cannot be written, HDF5 failure).
class run_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A write refused for a reason of the whole file system, not of one file or run: no space left
// (ENOSPC), over quota (EDQUOT), read-only (EROFS). Every further write there would fail the same
// way, so a batch starts no new run after one. what(): "no space left on device while writing
// <path>".
class storage_error : public run_error {
public:
    storage_error(int error_number, const std::string& path);
    int error_number() const noexcept { return error_number_; }
    const std::string& path() const noexcept { return path_; }

private:
    int error_number_;
    std::string path_;
};

// True for the errno values storage_error stands for.
bool is_storage_fault(int error_number) noexcept;

// The first storage fault that any of several workers met (later ones add nothing: they are the
// same fault), so that all of them stop taking new work. Thread-safe.
class storage_fault_latch {
public:
    void report(const std::string& message);
    bool seen() const noexcept { return seen_.load(std::memory_order_relaxed); }
    std::string message() const;  // the first fault's; empty while none was reported

private:
    std::atomic<bool> seen_{false};
    mutable std::mutex mutex_;
    std::string message_;
};

}  // namespace m1

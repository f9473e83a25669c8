#pragma once
// Text from HDF5 files however it was written: variable-length strings (m1batch, h5py's `str`,
// libsonata) and fixed-length ones (h5py's default for `bytes` and numpy 'S' arrays, Fortran
// codes), ASCII or UTF-8, in datasets and attributes alike. The one reader of text in m1batch.
// Includes <hdf5.h>: only for .cpp files of targets that link HDF5.
#include "core/io/hdf5_support.hpp"

#include <optional>
#include <string>
#include <vector>

namespace m1 {

// Every string `object` (an open dataset or attribute) holds, in storage order; a scalar gives
// one. Fixed-length strings lose their padding (NULs, or trailing spaces where the type says
// space-padded). The bytes are returned as stored: ASCII is UTF-8 already. Failures throw through
// `check`, naming `where` ("/cells/population is not text").
std::vector<std::string> read_strings(const hdf5_checker& check, hid_t object,
                                      const std::string& where);

// The one string of the attribute `name` of `object` (`where` names the object); nullopt when
// the attribute does not exist. Throws through `check` when it is not a single string.
std::optional<std::string> read_string_attribute(const hdf5_checker& check, hid_t object,
                                                 const std::string& name, const std::string& where);

}  // namespace m1

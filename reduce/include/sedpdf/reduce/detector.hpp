// sedpdf/reduce/detector.hpp — forwarding include: the detector geometry and masks live in simulate/.
#pragma once
#include "sedpdf/simulate/detector.hpp"

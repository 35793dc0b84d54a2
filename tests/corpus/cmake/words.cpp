#include "words.hpp"

std::string join(const std::vector<std::string> &words, const std::string &sep)
{
	std::string out;
	for (const auto &w : words) {
		if (!out.empty())
			out += sep;
		out += w;
	}
	return out;
}

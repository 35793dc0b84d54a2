#include <iostream>
#include "words.hpp"

int main()
{
	std::cout << join({"built", "with", "cmake", "and", "ninja"}, " ") << "\n";
	return 0;
}

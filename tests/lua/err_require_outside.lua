-- require cannot climb out of the scenario's folder either.
require("..secret")

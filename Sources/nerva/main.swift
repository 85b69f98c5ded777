print("nerva")
